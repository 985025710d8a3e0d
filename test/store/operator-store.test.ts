/**
 * Operator accounts and sessions on both backends: scrypt hashes (never the password) in the store,
 * refused names and passwords, a new password or a removed account ending every session, expiry; sessions
 * of an OIDC sign-in (no account), accepted only while their provider is the configured one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openPgliteOn } from '../../src/db/database.ts';
import { MIGRATIONS, migrate } from '../../src/db/migrations.ts';
import { ManualClock } from '../../src/infra/clock.ts';
import { OperatorAccounts, tokenHash } from '../../src/services/operator-accounts.ts';
import { hashPassword, verifyPassword } from '../../src/services/operator-passwords.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();
const PASSWORD = 'correct horse battery staple';

test('scrypt hashes carry their parameters, differ per salt and check only the right password', async () => {
  const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
  assert.match(a, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword(PASSWORD, a), true);
  assert.equal(await verifyPassword(`${PASSWORD}!`, a), false);
  assert.equal(await verifyPassword(PASSWORD, 'plain:correct horse battery staple'), false);
  assert.equal(await verifyPassword(PASSWORD, 'scrypt$0$8$1$abc$def'), false);
});

test('migration 019 keeps the password sessions open before it, still ended by their account', async () => {
  const db = await openPgliteOn(new PGlite());
  try {
    await migrate(db, MIGRATIONS.filter((m) => m.version < 19));
    const now = new Date('2026-01-05T10:00:00Z');
    // A session as the code before 019 wrote it (the columns of migration 011 only).
    await db.query('INSERT INTO operators (name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)', ['ada', await hashPassword(PASSWORD), now]);
    await db.query('INSERT INTO operator_sessions (token_hash, operator, created_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash('token-from-before'), 'ada', now, new Date(now.getTime() + 3600_000)]);
    await migrate(db);
    const accounts = new OperatorAccounts(db, new ManualClock(now), 3600, { oidcIssuer: 'https://id.example.org' });
    assert.equal(await accounts.operatorFor('token-from-before'), 'ada');
    await accounts.remove('ada');
    assert.equal(await accounts.operatorFor('token-from-before'), null);
  } finally {
    await db.close();
  }
});

for (const backend of BACKENDS) {
  describe(`operator accounts on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let database: TestDatabase;
    let clock: ManualClock;
    let accounts: OperatorAccounts;
    before(async () => {
      database = await freshDatabase(backend);
      clock = new ManualClock(new Date('2026-01-05T10:00:00Z'));
      accounts = new OperatorAccounts(database.db, clock, 3600);
    });
    after(async () => database?.drop());

    test('an account is stored with its hash only, and bad names, short passwords and duplicates are refused', async () => {
      await accounts.add('ada', PASSWORD);
      const [row] = await database.db.query<{ password_hash: string }>('SELECT password_hash FROM operators WHERE name = $1', ['ada']);
      assert.ok(row.password_hash.startsWith('scrypt$') && !row.password_hash.includes(PASSWORD));
      await assert.rejects(accounts.add('ada', PASSWORD), /exists already/);
      await assert.rejects(accounts.add('bad name', PASSWORD), /not valid/);
      await assert.rejects(accounts.add('grace', 'short'), /too short/);
      assert.deepEqual((await accounts.list()).map((o) => o.name), ['ada']);
    });

    test('a session is found by its token, stored hashed, and expires', async () => {
      const signedIn = await accounts.signIn('ada', PASSWORD, '192.0.2.1');
      assert.equal(await accounts.operatorFor(signedIn.token), 'ada');
      const stored = await database.db.query<{ token_hash: string }>('SELECT token_hash FROM operator_sessions');
      assert.deepEqual(stored.map((r) => r.token_hash), [tokenHash(signedIn.token)]);
      clock.advance(3601);
      assert.equal(await accounts.operatorFor(signedIn.token), null);
    });

    test('a new password and a removed account end every session', async () => {
      const first = await accounts.signIn('ada', PASSWORD, '192.0.2.1');
      await accounts.setPassword('ada', `${PASSWORD} two`);
      assert.equal(await accounts.operatorFor(first.token), null);
      await assert.rejects(accounts.signIn('ada', PASSWORD, '192.0.2.1'), { code: 'SIGN_IN_FAILED' });
      const second = await accounts.signIn('ada', `${PASSWORD} two`, '192.0.2.1');
      await accounts.remove('ada');
      assert.equal(await accounts.operatorFor(second.token), null);
      await assert.rejects(accounts.remove('ada'), /no operator named "ada"/);
      await assert.rejects(accounts.setPassword('ada', PASSWORD), /no operator named "ada"/);
    });

    test('an OIDC session needs no account, outlives a same-named account, and ends with its provider', async () => {
      const issuer = 'https://id.example.org';
      const withOidc = new OperatorAccounts(database.db, clock, 3600, { oidcIssuer: issuer });
      await withOidc.add('grace', PASSWORD);
      const federated = await withOidc.signInWithOidc('grace');
      const byPassword = await withOidc.signIn('grace', PASSWORD, '192.0.2.1');
      assert.equal(await withOidc.operatorFor(federated.token), 'grace');
      const [row] = await database.db.query<{ account: string | null; issuer: string | null }>('SELECT account, issuer FROM operator_sessions WHERE token_hash = $1', [tokenHash(federated.token)]);
      assert.deepEqual({ ...row }, { account: null, issuer });
      // The account's password and removal are the password sign-in's business, not the provider's.
      await withOidc.setPassword('grace', `${PASSWORD} two`);
      assert.equal(await withOidc.operatorFor(byPassword.token), null);
      await withOidc.remove('grace');
      assert.equal(await withOidc.operatorFor(federated.token), 'grace');
      // OIDC switched off, or another provider configured: its sessions are no longer accepted.
      assert.equal(await accounts.operatorFor(federated.token), null);
      assert.equal(await new OperatorAccounts(database.db, clock, 3600, { oidcIssuer: 'https://other.example.org' }).operatorFor(federated.token), null);
      await assert.rejects(accounts.signInWithOidc('grace'), /not configured/);
      await assert.rejects(withOidc.signInWithOidc('bad name'), /not valid/);
      clock.advance(3601);
      assert.equal(await withOidc.operatorFor(federated.token), null);
    });
  });
}
