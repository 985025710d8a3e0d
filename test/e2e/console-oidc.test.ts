/**
 * The console's OIDC sign-in in real headless Chromium against a real OpenID provider (panva's
 * oidc-provider in this process, test/support/test-idp.ts): the sign-in page's "Sign in with" link goes
 * to the provider and back, and the console opens signed in. This is what an HTTP client cannot show:
 * the browser really sends the session cookie (SameSite=Strict) after a return that began on another
 * site, and really sends the flow cookie (SameSite=Lax) on that return. A refused user sees the page in
 * the browser's language. (The refusals one by one: test/http/console-oidc.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { buildWebAssets } from '../../src/http/static.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { freePort } from '../support/free-port.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { startTestIdp, type TestIdp } from '../support/test-idp.ts';
import { testApp, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';

/** stacklab's cookies in the browser (not the provider's). */
async function ours(context: BrowserContext) {
  return (await context.cookies()).filter((c) => c.name.startsWith('stacklab_'));
}

describe('console OIDC sign-in (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let idp: TestIdp;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    const port = await freePort();
    // The console on localhost and the provider on 127.0.0.1: two sites, as in a deployment, so the
    // browser applies SameSite to the return from the provider (ports alone would make them one site).
    base = `http://localhost:${port}`;
    idp = await startTestIdp({
      confirmPage: true,
      redirectUris: [`${base}/console/oidc/callback`],
      accounts: { 'u-alice': { preferred_username: 'alice', email: 'alice@example.org', email_verified: true }, 'u-carol': { preferred_username: 'carol', email: 'carol@example.org', email_verified: true } },
    });
    server = await testApp({
      public_url: base,
      oidc_issuer: idp.issuer,
      oidc_client_id: idp.clientId,
      oidc_client_secret: idp.clientSecret,
      oidc_provider_name: 'Test IdP',
      oidc_operators: 'alice@example.org',
    });
    await server.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP localhost 127.0.0.1'] });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
    await idp?.close();
  });

  test('"Sign in with Test IdP" goes to the provider and back into the console, signed in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    const link = page.locator('#sign-in-oidc');
    assert.equal(await link.innerText(), translator('en')('console.signInWith', { provider: 'Test IdP' }));
    idp.signInAs = 'u-alice';
    await link.click();
    await page.click('#idp-continue');
    await page.waitForSelector('#who:not([hidden])');
    assert.equal(await page.innerText('#who'), translator('en')('console.signedInAs', { name: 'alice' }));
    assert.equal(new URL(page.url()).pathname, '/console');
    await page.waitForSelector('#stacks-table');
    assert.deepEqual((await ours(context)).map((c) => `${c.name} ${c.sameSite} ${c.httpOnly}`), ['stacklab_console Strict true'], 'the session, and the flow cookie gone');
    await context.close();
  });

  test('a user who is not an operator sees why, in the browser\'s language, and can go back', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    idp.signInAs = 'u-carol';
    await page.click('#sign-in-oidc');
    await page.click('#idp-continue');
    await page.waitForSelector('#refusal');
    assert.equal(await page.innerText('#refusal'), translator('fr')('console.oidcNotOperator', { name: 'carol', provider: 'Test IdP' }));
    assert.deepEqual(await ours(context), []);
    await page.click('main a');
    await page.waitForSelector('#sign-in-name');
    await context.close();
  });
});
