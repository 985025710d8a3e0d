/**
 * Framing and content policies: the lab page may be framed by the registered LTI platforms' origins
 * and the configured ones, never by any site (`frame-ancestors *` let any page put the lab under its
 * own buttons); the LTI pages get a policy that runs only their own inline script, by its hash.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load-config.ts';
import { buildApp } from '../../src/http/app.ts';
import { ltiPageCsp, scriptHash } from '../../src/http/frame-policy.ts';
import { AUTO_POST_SCRIPT, autoPostPage } from '../../src/lti/html.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

function directive(csp: string, name: string): string[] {
  const found = csp.split(';').map((d) => d.trim().split(/\s+/)).find(([n]) => n === name);
  assert.ok(found, `${name} in ${csp}`);
  return found.slice(1);
}

describe('who may frame the pages', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    rt = await testRuntime({ providers: [new FakeProvider('fake')], labs: [testLab()], overrides: { frame_ancestors: 'https://courses.example.edu https://other.example.org:8443' } });
    await rt.ctx.lti.platforms.put(
      {
        name: 'moodle',
        issuer: 'https://moodle.example.org',
        client_id: 'abc',
        deployment_ids: ['1'],
        auth_login_url: 'https://moodle.example.org/mod/lti/auth.php',
        token_url: 'https://moodle.example.org/mod/lti/token.php',
        jwks_url: 'https://moodle.example.org/mod/lti/certs.php',
      },
      'api',
    );
    app = await buildApp(rt.ctx);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  test("the lab page: 'self', the platforms' origins and the configured ones, nobody else", async () => {
    const page = await app.inject({ url: '/lab/demo' });
    assert.equal(page.statusCode, 200);
    const ancestors = directive(String(page.headers['content-security-policy']), 'frame-ancestors');
    assert.deepEqual(ancestors.sort(), ["'self'", 'https://courses.example.edu', 'https://moodle.example.org', 'https://other.example.org:8443'].sort());
    assert.ok(!ancestors.includes('*'));
    assert.deepEqual(directive(String(page.headers['content-security-policy']), 'script-src'), ["'self'"]);
  });

  test('a platform registered later may frame the page at once; one removed may not', async () => {
    const lti = rt.ctx.lti;
    await lti.platforms.put(
      { name: 'canvas', issuer: 'https://canvas.instructure.com', client_id: 'x', deployment_ids: ['1'], auth_login_url: 'https://sso.canvaslms.com/api/lti/authorize_redirect', token_url: 'https://sso.canvaslms.com/login/oauth2/token', jwks_url: 'https://sso.canvaslms.com/api/lti/security/jwks' },
      'api',
    );
    let ancestors = directive(String((await app.inject({ url: '/lab/demo' })).headers['content-security-policy']), 'frame-ancestors');
    assert.ok(ancestors.includes('https://canvas.instructure.com') && ancestors.includes('https://sso.canvaslms.com'));
    await lti.platforms.remove('canvas');
    ancestors = directive(String((await app.inject({ url: '/lab/demo' })).headers['content-security-policy']), 'frame-ancestors');
    assert.ok(!ancestors.includes('https://canvas.instructure.com'));
  });

  test('an LTI refusal page carries a policy without script', async () => {
    const refused = await app.inject({ method: 'POST', url: '/lti/launch', payload: 'id_token=x&state=unknown', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(refused.statusCode, 401);
    const csp = String(refused.headers['content-security-policy']);
    assert.deepEqual(directive(csp, 'script-src'), ["'none'"]);
    assert.ok(directive(csp, 'frame-ancestors').includes('https://moodle.example.org'));
  });

  test('the auto-post page runs its own script, by hash, and posts only to the return URL', () => {
    const html = autoPostPage({ locale: 'en', t: translator('en') }, 'https://moodle.example.org/mod/lti/contentitem_return.php', { JWT: 'x' });
    const inline = /<script>([^<]*)<\/script>/.exec(html)?.[1];
    assert.equal(inline, AUTO_POST_SCRIPT);
    const csp = ltiPageCsp("'self'", { scripts: [AUTO_POST_SCRIPT], formTarget: 'https://moodle.example.org/mod/lti/contentitem_return.php' });
    assert.deepEqual(directive(csp, 'script-src'), [scriptHash(inline)]);
    assert.deepEqual(directive(csp, 'form-action'), ["'self'", 'https://moodle.example.org']);
  });

  test('frame_ancestors takes origins only', () => {
    assert.throws(() => loadConfig({ env: {}, overrides: { frame_ancestors: '*' } }), /frame_ancestors/);
    assert.throws(() => loadConfig({ env: {}, overrides: { frame_ancestors: "https://a.example 'unsafe-inline'" } }), /frame_ancestors/);
    assert.doesNotThrow(() => loadConfig({ env: {}, overrides: { frame_ancestors: 'https://a.example http://localhost:8000' } }));
  });
});
