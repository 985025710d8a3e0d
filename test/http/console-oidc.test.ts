/**
 * Operators' OIDC sign-in to the console against a real OpenID provider (panva's oidc-provider, in this
 * process: test/support/test-idp.ts), driven over HTTP with a cookie jar through every redirect, on both
 * store backends: a listed e-mail and a required group claim get the console's session cookie and act
 * under their provider name; someone neither listed nor in the group, or with an unverified listed
 * address, is refused with a page in their language; a tampered state, a changed nonce, an answer taken
 * to another browser or replayed, and a cancelled sign-in are refused; the client secret is in no log line.
 * A provider that cannot be reached gets its own page, and the password sign-in still works.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { escapeHtml } from '../../src/http/routes/learner-page.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { MiniBrowser } from '../lti/emulator/mini-browser.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { freePort } from '../support/free-port.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { startTestIdp, type TestIdp } from '../support/test-idp.ts';
import { settle, testApp, type TestApp } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

const ACCOUNTS = {
  'u-alice': { preferred_username: 'alice', email: 'Alice@Example.org', email_verified: true },
  'u-bob': { preferred_username: 'bob', email: 'bob@example.org', email_verified: true, groups: ['staff', 'stacklab-operators'] },
  'u-carol': { preferred_username: 'carol', email: 'carol@example.org', email_verified: true, groups: ['staff'] },
  // Claims the listed address without having proved it.
  'u-mallory': { preferred_username: 'mallory', email: 'alice@example.org', email_verified: false },
};

for (const backend of BACKENDS) {
  describe(`console OIDC sign-in on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestApp;
    let idp: TestIdp;
    let base = '';
    let host = '';
    let stackId = '';
    const logs: string[] = [];
    const german = translator('de');
    const english = translator('en');

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      host = new URL(base).host;
      idp = await startTestIdp({ redirectUris: [`${base}/console/oidc/callback`], accounts: ACCOUNTS });
      // Everything the server logs, at every level, to look for the client secret in.
      const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
      t = await testApp(
        {
          public_url: base,
          oidc_issuer: idp.issuer,
          oidc_client_id: idp.clientId,
          oidc_client_secret: idp.clientSecret,
          oidc_scopes: 'openid profile email groups',
          oidc_provider_name: 'Test IdP',
          oidc_operators: 'alice@example.org, sub:u-nobody',
          oidc_operator_claim: 'groups=stacklab-operators',
        },
        { backend, logger },
      );
      stackId = (await t.rt.ctx.stacks.launch({ learner: 'learner-1', context: 'course-1', lab: 'demo', actor: 'test' })).id;
      await settle(t.rt);
      await t.app.listen({ host: '127.0.0.1', port });
    });
    after(async () => {
      await t?.close();
      await idp?.close();
    });

    const sessionOf = (browser: MiniBrowser) => browser.cookies.get(host)?.get('stacklab_console');
    const me = async (cookie: string | undefined) => (await t.app.inject({ url: '/console/api/me', headers: { cookie: `stacklab_console=${cookie}` } })).json();

    /** Starts a sign-in without following the redirect: the provider's URL, with the flow cookie in the jar. */
    async function begin(browser: MiniBrowser): Promise<URL> {
      const answer = await fetch(`${base}/console/oidc/start`, { redirect: 'manual' });
      assert.equal(answer.status, 303);
      const [line] = answer.headers.getSetCookie();
      assert.match(line, /^stacklab_console_oidc=[\w.-]+; Path=\/console\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);
      const [name, ...value] = line.split(';')[0].split('=');
      browser.cookies.set(host, new Map([[name, value.join('=')]]));
      return new URL(answer.headers.get('location')!);
    }

    test('the sign-in page offers the provider by name', async () => {
      const page = await t.app.inject({ url: '/console' });
      assert.match(page.body, /<body data-oidc-provider="Test IdP">/);
    });

    test('the provider is asked for a code with PKCE (S256), state, nonce and the redirect URI from public_url', async () => {
      const url = await begin(new MiniBrowser());
      assert.equal(url.origin, idp.issuer);
      const q = url.searchParams;
      assert.equal(q.get('response_type'), 'code');
      assert.equal(q.get('client_id'), idp.clientId);
      assert.equal(q.get('redirect_uri'), `${base}/console/oidc/callback`);
      assert.equal(q.get('code_challenge_method'), 'S256');
      assert.match(q.get('code_challenge') ?? '', /^[\w-]{43}$/);
      assert.ok((q.get('state') ?? '').length >= 32 && (q.get('nonce') ?? '').length >= 32);
      assert.equal(q.get('scope'), 'openid profile email groups');
      assert.ok(!url.href.includes(idp.clientSecret));
    });

    test('a listed e-mail gets the console session, and acts in the history under the provider name', async () => {
      const browser = new MiniBrowser();
      idp.signInAs = 'u-alice';
      const page = await browser.get(`${base}/console/oidc/start`);
      assert.equal(page.url, `${base}/console`);
      assert.equal(page.status, 200);
      assert.ok(page.trail.some((url) => url.startsWith(`${idp.issuer}/`)), 'went through the provider');
      const session = browser.setCookies.find((c) => c.line.startsWith('stacklab_console='))?.line;
      assert.match(session ?? '', /^stacklab_console=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      assert.equal(browser.cookies.get(host)?.has('stacklab_console_oidc'), false, 'the flow cookie is cleared once used');
      assert.equal((await me(sessionOf(browser))).operator, 'alice');

      const bulk = await t.app.inject({ method: 'POST', url: '/console/api/stacks/bulk', headers: { cookie: `stacklab_console=${sessionOf(browser)}` }, payload: { action: 'suspend', ids: [stackId], confirm: 1 } });
      assert.equal(bulk.statusCode, 200, bulk.body);
      await settle(t.rt);
      const events = await t.rt.ctx.stacks.events(stackId);
      assert.ok(events.some((e) => e.actor === 'operator:alice'), JSON.stringify(events.map((e) => e.actor)));
    });

    test('a user holding the required group claim gets in too', async () => {
      const browser = new MiniBrowser();
      idp.signInAs = 'u-bob';
      const page = await browser.get(`${base}/console/oidc/start`);
      assert.equal(page.url, `${base}/console`);
      assert.equal((await me(sessionOf(browser))).operator, 'bob');
    });

    test('a user neither listed nor in the group is refused with a page in their language, and no session', async () => {
      const browser = new MiniBrowser({ headers: { 'accept-language': 'de' } });
      idp.signInAs = 'u-carol';
      const page = await browser.get(`${base}/console/oidc/start`);
      assert.equal(page.status, 403);
      assert.ok(page.url.startsWith(`${base}/console/oidc/callback?`));
      assert.ok(page.text.includes(escapeHtml(german('console.oidcNotOperator', { name: 'carol', provider: 'Test IdP' }))), page.text);
      assert.ok(page.text.includes('<html lang="de"'));
      assert.equal(sessionOf(browser), undefined);
    });

    test('a listed address the provider says is unverified does not count', async () => {
      const browser = new MiniBrowser();
      idp.signInAs = 'u-mallory';
      const page = await browser.get(`${base}/console/oidc/start`);
      assert.equal(page.status, 403);
      assert.ok(page.text.includes(escapeHtml(english('console.oidcNotOperator', { name: 'mallory', provider: 'Test IdP' }))));
      assert.equal(sessionOf(browser), undefined);
    });

    test('a tampered state is refused', async () => {
      const browser = new MiniBrowser();
      idp.signInAs = 'u-alice';
      const url = await begin(browser);
      url.searchParams.set('state', `${url.searchParams.get('state')}x`);
      const page = await browser.get(url.href);
      assert.ok(page.url.startsWith(`${base}/console/oidc/callback?`));
      assert.equal(page.status, 400);
      assert.ok(page.text.includes(escapeHtml(english('console.oidcInvalid', { provider: 'Test IdP' }))));
      assert.equal(sessionOf(browser), undefined);
      assert.ok(logs.some((line) => line.includes('console OIDC sign-in refused') && /state/.test(line)), 'the log says it was the state');
    });

    test('an ID token with another nonce than the one this browser was given is refused', async () => {
      const browser = new MiniBrowser();
      idp.signInAs = 'u-alice';
      const url = await begin(browser);
      // As if someone swapped the request on its way: the provider signs the nonce it was sent.
      url.searchParams.set('nonce', 'a-nonce-this-browser-never-had-0123456789');
      const page = await browser.get(url.href);
      assert.equal(page.status, 400);
      assert.equal(sessionOf(browser), undefined);
      assert.ok(logs.some((line) => line.includes('console OIDC sign-in refused') && /nonce/.test(line)), 'the log says it was the nonce');
    });

    test('the answer taken to another browser, or used twice, is refused', async () => {
      const first = new MiniBrowser();
      idp.signInAs = 'u-alice';
      const done = await first.get(`${base}/console/oidc/start`);
      const answer = done.trail.find((url) => url.startsWith(`${base}/console/oidc/callback?`))!;
      const other = new MiniBrowser();
      const elsewhere = await other.get(answer);
      assert.equal(elsewhere.status, 400);
      assert.equal(sessionOf(other), undefined);
      const again = await first.get(answer);
      assert.equal(again.status, 400, 'the flow cookie went with the first use');
    });

    test('a sign-in cancelled at the provider says so', async () => {
      const browser = new MiniBrowser();
      idp.signInAs = '';
      const page = await browser.get(`${base}/console/oidc/start`);
      assert.equal(page.status, 401);
      assert.ok(page.text.includes(escapeHtml(english('console.oidcDenied', { provider: 'Test IdP' }))));
      assert.equal(sessionOf(browser), undefined);
    });

    test('password accounts keep working beside it', async () => {
      await t.rt.ctx.operators.add('ada', 'correct horse battery staple');
      const answer = await t.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { name: 'ada', password: 'correct horse battery staple' } });
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.json().operator, 'ada');
    });

    test('the client secret is in no log line', () => {
      assert.ok(logs.some((line) => line.includes('operator signed in to the console with OIDC')), 'the log was captured');
      const leaked = logs.filter((line) => line.includes(idp.clientSecret));
      assert.deepEqual(leaked, []);
    });
  });
}

describe('console OIDC sign-in with the provider down', () => {
  let t: TestApp;
  const logs: string[] = [];
  const secret = `unreachable-secret-${crypto.randomUUID()}`;
  before(async () => {
    // A port nothing listens on: discovery fails at the first sign-in, not at start.
    const closed = await freePort();
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
    t = await testApp({ oidc_issuer: `http://127.0.0.1:${closed}`, oidc_client_id: 'stacklab', oidc_client_secret: secret, oidc_operators: 'ada@example.org' }, { logger });
  });
  after(async () => t?.close());

  test('the sign-in says the provider cannot be reached, in the browser\'s language; password accounts still sign in', async () => {
    const page = await t.app.inject({ url: '/console/oidc/start', headers: { 'accept-language': 'es' } });
    assert.equal(page.statusCode, 503);
    assert.ok(page.body.includes(escapeHtml(translator('es')('console.oidcUnreachable', { provider: '127.0.0.1' }))), page.body);
    assert.ok(logs.some((line) => line.includes('could not start') && line.includes('discovery')), 'the log says why');
    assert.deepEqual(logs.filter((line) => line.includes(secret)), []);
    await t.rt.ctx.operators.add('ada', 'correct horse battery staple');
    const answer = await t.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { name: 'ada', password: 'correct horse battery staple' } });
    assert.equal(answer.statusCode, 200);
  });
});
