/** The LTI admin API (service token), the tool's public endpoints and the `stacklab lti` CLI. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { parseLtiConfig } from '../../src/lti/platforms.ts';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { API_TOKEN, startHarness, type Harness } from './harness.ts';

const run = promisify(execFile);
const auth = { authorization: `Bearer ${API_TOKEN}` };
const moodle = {
  issuer: 'https://moodle.example.edu',
  client_id: 'aBcD1234',
  deployment_ids: ['3'],
  auth_login_url: 'https://moodle.example.edu/mod/lti/auth.php',
  token_url: 'https://moodle.example.edu/mod/lti/token.php',
  jwks_url: 'https://moodle.example.edu/mod/lti/certs.php',
};

describe('LTI admin API and public endpoints', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('platform registrations: list, create, replace, delete; config entries are read-only', async () => {
    const unauthorized = await h.app.inject({ method: 'GET', url: '/api/v1/lti/platforms' });
    assert.equal(unauthorized.statusCode, 401);
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/lti/platforms', headers: auth });
    assert.deepEqual(list.json().platforms.map((p: { name: string; source: string }) => [p.name, p.source]), [['openedx', 'config']]);
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/lti/platforms', headers: auth, payload: { name: 'moodle', ...moodle } });
    assert.equal(created.statusCode, 201, created.body);
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/lti/platforms', headers: auth, payload: { name: 'moodle', ...moodle } });
    assert.equal(again.statusCode, 409);
    const replaced = await h.app.inject({ method: 'PUT', url: '/api/v1/lti/platforms/moodle', headers: auth, payload: { ...moodle, deployment_ids: ['3', '4'] } });
    assert.deepEqual(replaced.json().deployment_ids, ['3', '4']);
    const invalid = await h.app.inject({ method: 'PUT', url: '/api/v1/lti/platforms/moodle', headers: auth, payload: { ...moodle, token_url: 'not a url' } });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.json().detail, /token_url/);
    const configOwned = await h.app.inject({ method: 'DELETE', url: '/api/v1/lti/platforms/openedx', headers: auth });
    assert.equal(configOwned.statusCode, 409);
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/v1/lti/platforms/moodle', headers: auth })).statusCode, 204);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/lti/platforms/moodle', headers: auth })).statusCode, 404);
  });

  test('platform URLs must be https (http only on a loopback host): refused with the field named', async () => {
    const cases: Array<[field: keyof typeof moodle, value: string, why: RegExp]> = [
      ['issuer', 'http://moodle.example.edu', /http is allowed only for a loopback host/],
      ['auth_login_url', 'http://moodle.example.edu/mod/lti/auth.php', /http is allowed only for a loopback host/],
      ['token_url', 'http://10.0.0.5/mod/lti/token.php', /http is allowed only for a loopback host/],
      ['jwks_url', 'javascript:alert(1)', /javascript: is not a web address/],
      ['jwks_url', 'ftp://moodle.example.edu/certs', /ftp: is not a web address/],
      ['issuer', 'moodle', /must be a URL/],
    ];
    for (const [field, value, why] of cases) {
      const answer = await h.app.inject({ method: 'PUT', url: '/api/v1/lti/platforms/moodle-http', headers: auth, payload: { ...moodle, [field]: value } });
      assert.equal(answer.statusCode, 400, `${field}=${value}: ${answer.body}`);
      const body = answer.json();
      assert.equal(body.code, 'BAD_REQUEST');
      assert.ok(body.message);
      assert.match(body.detail, new RegExp(`^${field}: must be`));
      assert.match(body.detail, why);
    }
    for (const host of ['127.0.0.1:8000', 'localhost:8000', '[::1]:8000']) {
      const local = { issuer: `http://${host}`, auth_login_url: `http://${host}/auth`, token_url: `http://${host}/token`, jwks_url: `http://${host}/jwks` };
      const answer = await h.app.inject({ method: 'PUT', url: '/api/v1/lti/platforms/moodle-local', headers: auth, payload: { ...moodle, client_id: host, ...local } });
      assert.equal(answer.statusCode, 200, `${host}: ${answer.body}`);
    }
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/v1/lti/platforms/moodle-local', headers: auth })).statusCode, 204);
    assert.throws(() => parseLtiConfig({ platforms: [{ name: 'moodle', ...moodle, issuer: 'http://moodle.example.edu' }] }), /lti\.platforms\.0\.issuer: must be an https URL/);
  });

  test('the JWKS is public, has no private parts, and follows a rotation', async () => {
    const before = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Array<Record<string, unknown>>;
    assert.equal(before.length, 1);
    assert.equal(before[0].kty, 'RSA');
    assert.equal(before[0].alg, 'RS256');
    assert.equal(before[0].d, undefined);
    const rotated = await h.app.inject({ method: 'POST', url: '/api/v1/lti/keys/rotate', headers: auth, payload: { publish_lead_seconds: 3600, keep_seconds: 3600 } });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const after = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as Array<{ kid: string }>;
    assert.equal(after.length, 2);
    assert.ok(after.some((k) => k.kid === rotated.json().kid));
    const statuses = (rotated.json().keys as Array<{ status: string }>).map((k) => k.status).sort();
    assert.deepEqual(statuses, ['next', 'signing']);
  });

  test('/lti/config gives the URLs to type into an LMS', async () => {
    const config = (await h.app.inject({ method: 'GET', url: '/lti/config', headers: { host: 'labs.example.edu' } })).json();
    assert.equal(config.login_url, 'http://labs.example.edu/lti/login');
    assert.equal(config.launch_url, 'http://labs.example.edu/lti/launch');
    assert.equal(config.jwks_url, 'http://labs.example.edu/.well-known/jwks.json');
  });
});

describe('stacklab lti (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stacklab-lti-cli-'));
  const bin = resolve(import.meta.dirname, '../../bin/stacklab.js');
  let database: TestDatabase | undefined;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    // A fresh PostgreSQL schema when PostgreSQL runs (each command starts quicker); the embedded store otherwise.
    if (await postgresAvailable()) database = await freshDatabase('postgres');
    env = { ...process.env, STACKLAB_DATA_DIR: dir, STACKLAB_LOG_LEVEL: 'silent', STACKLAB_PROVIDERS: '[]', DATABASE_URL: database?.url ?? '' };
  });
  after(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('add, list and remove a platform; rotate the keys', async () => {
    const add = ['lti', 'platforms', 'add', 'moodle', '--issuer', moodle.issuer, '--client-id', moodle.client_id, '--deployment', '3', '--auth-login-url', moodle.auth_login_url, '--token-url', moodle.token_url, '--jwks-url', moodle.jwks_url];
    await run(process.execPath, [bin, ...add], { env });
    const listed = JSON.parse((await run(process.execPath, [bin, 'lti', 'platforms', 'list', '--json'], { env })).stdout) as Array<{ name: string; deployment_ids: string[] }>;
    assert.deepEqual(listed.map((p) => [p.name, p.deployment_ids]), [['moodle', ['3']]]);
    const keys = JSON.parse((await run(process.execPath, [bin, 'lti', 'keys', 'rotate', '--lead', '60', '--json'], { env })).stdout) as Array<{ status: string }>;
    assert.deepEqual(keys.map((k) => k.status).sort(), ['next', 'signing']);
    await run(process.execPath, [bin, 'lti', 'platforms', 'remove', 'moodle'], { env });
    const plainHttp = add.map((arg) => (arg === moodle.jwks_url ? 'http://moodle.example.edu/mod/lti/certs.php' : arg));
    await assert.rejects(run(process.execPath, [bin, ...plainHttp], { env }), (error: { stderr: string }) => /jwks_url: must be an https URL/.test(error.stderr));
    assert.equal((await run(process.execPath, [bin, 'lti', 'platforms', 'list'], { env })).stdout.trim(), 'no LTI platforms registered');
  });
});
