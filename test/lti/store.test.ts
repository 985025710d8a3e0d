/** The LTI tables on both backends: tool key rotation, single-use states and nonces, platform registrations. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, jwtVerify, createLocalJWKSet, SignJWT } from 'jose';
import { migrate } from '../../src/db/migrations.ts';
import { LoginStates } from '../../src/lti/login-states.ts';
import { PlatformConflictError, PlatformStore } from '../../src/lti/platforms.ts';
import { ToolKeys } from '../../src/lti/tool-keys.ts';
import { ManualClock } from '../../src/infra/clock.ts';
import { Keys } from '../../src/infra/keys.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const postgresUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`LTI store on ${backend}`, { skip: backend === 'postgres' ? skipUnless(postgresUp, 'PostgreSQL at 127.0.0.1:5432') : false }, () => {
    let database: TestDatabase;
    const clock = new ManualClock(new Date('2026-03-01T10:00:00Z'));
    const keys = Keys.ephemeral();
    before(async () => {
      database = await freshDatabase(backend);
      await migrate(database.db); // idempotent; keeps this file independent of how the support seeds databases
    });
    after(async () => {
      await database.drop();
    });

    test('tool keys: processes that start together on an empty table create one first key', async () => {
      const empty = await freshDatabase(backend);
      try {
        const starters = Array.from({ length: 3 }, () => new ToolKeys(empty.db, keys, clock));
        const signing = await Promise.all(starters.map((k) => k.signingKey()));
        const rows = await empty.db.query<{ kid: string }>('SELECT kid FROM lti_tool_keys');
        assert.equal(rows.length, 1, `first keys created: ${rows.length}`);
        assert.deepEqual(new Set(signing.map((s) => s.kid)), new Set([rows[0]!.kid]));
      } finally {
        await empty.drop();
      }
    });

    test('tool keys: the new key is published before it signs, the old one stays published, then goes', async () => {
      const toolKeys = new ToolKeys(database.db, keys, clock);
      const first = await toolKeys.signingKey();
      assert.deepEqual((await toolKeys.jwks()).keys.map((k) => k.kid), [first.kid]);
      const next = await toolKeys.rotate({ publishLeadSeconds: 3600, keepSeconds: 7200 });
      assert.notEqual(next, first.kid);
      assert.deepEqual(new Set((await toolKeys.jwks()).keys.map((k) => k.kid)), new Set([first.kid, next]));
      assert.equal((await toolKeys.signingKey()).kid, first.kid, 'a freshly published key must not sign yet');
      clock.advance(3601);
      const signing = await toolKeys.signingKey();
      assert.equal(signing.kid, next);
      // A token signed now verifies with the published set, found by its kid.
      const jwt = await new SignJWT({ hello: 'platform' }).setProtectedHeader({ alg: 'RS256', kid: signing.kid }).sign(signing.key);
      assert.equal(decodeProtectedHeader(jwt).kid, next);
      await jwtVerify(jwt, createLocalJWKSet(await toolKeys.jwks()));
      assert.ok((await toolKeys.jwks()).keys.some((k) => k.kid === first.kid), 'the old key stays published for a while');
      clock.advance(7200);
      assert.deepEqual((await toolKeys.jwks()).keys.map((k) => k.kid), [next]);
      assert.equal(await toolKeys.prune(), 1);
      // No private key material in the published set, and the stored one is sealed.
      for (const k of (await toolKeys.jwks()).keys) assert.equal(k.d, undefined);
      const [row] = await database.db.query<{ private_key: string }>('SELECT private_key FROM lti_tool_keys WHERE kid = $1', [next]);
      assert.match(row.private_key, /^v1\./);
      assert.doesNotMatch(row.private_key, /PRIVATE KEY/);
    });

    test('login states are single use and short-lived; nonces are used once', async () => {
      const states = new LoginStates(database.db, clock, 300);
      const a = await states.issue('openedx', 'https://tool/lti/launch');
      assert.equal((await states.consume(a.state))?.nonce, a.nonce);
      assert.equal(await states.consume(a.state), undefined);
      const b = await states.issue('openedx', null);
      clock.advance(301);
      assert.equal(await states.consume(b.state), undefined);
      assert.equal(await states.consume('never-issued'), undefined);
      const until = new Date(clock.now().getTime() + 3600_000);
      assert.equal(await states.useNonce('https://lms', 'n-1', until), true);
      assert.equal(await states.useNonce('https://lms', 'n-1', until), false);
      assert.equal(await states.useNonce('https://other-lms', 'n-1', until), true);
      await states.issue('openedx', null);
      clock.advance(3601);
      assert.ok((await states.sweep()) >= 3);
    });

    test('platforms: config entries sync, the API may not overwrite them, issuer+client id is unique', async () => {
      const store = new PlatformStore(database.db, clock);
      const p = { name: 'canvas', issuer: 'https://canvas.instructure.com', client_id: '10000000000001', deployment_ids: ['1:abc'], auth_login_url: 'https://sso.canvaslms.com/api/lti/authorize_redirect', token_url: 'https://sso.canvaslms.com/login/oauth2/token', jwks_url: 'https://sso.canvaslms.com/api/lti/security/jwks' };
      await store.syncFromConfig([p]);
      assert.equal((await store.find(p.issuer, p.client_id))?.name, 'canvas');
      assert.equal((await store.find(p.issuer))?.name, 'canvas');
      await assert.rejects(store.put({ ...p, deployment_ids: ['2'] }, 'api'), PlatformConflictError);
      await assert.rejects(store.put({ ...p, name: 'canvas-copy' }, 'api'), PlatformConflictError);
      await store.put({ ...p, name: 'canvas-2', client_id: '10000000000002' }, 'api');
      assert.equal(await store.find(p.issuer), undefined, 'two registrations for one issuer need the client id');
      await store.syncFromConfig([]);
      assert.deepEqual((await store.list()).map((x) => x.name), ['canvas-2']);
      assert.equal(await store.remove('canvas-2'), true);
    });
  });
}
