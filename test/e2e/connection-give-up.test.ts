/**
 * The learner page in real headless Chromium stops retrying a lab connection that keeps failing and
 * says what to do. The stack is real (store, worker, gateway); its address is a port nothing listens
 * on, so every terminal connection is refused. No LXC needed: what is under test is the page.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { buildWebAssets } from '../../src/http/static.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { AddressProvider } from '../gateway/support/address-provider.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('lab page gives up on a connection that keeps failing (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let upgrades = 0;

  before(async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
    const provider = new AddressProvider('nowhere', { public_ip: '127.0.0.1', private_key: key });
    const lab = testLab({ id: 'refused', title: 'Unreachable lab', port: await closedPort(), providers: [{ name: 'nowhere', capacity: -1, template: 'heat_template_version: 2016-10-14\nresources: {}\n', templateFile: 'template.yaml' }] });
    rt = await testRuntime({ providers: [provider], labs: [lab], overrides: { poll_interval: 0.25, connection_retry_budget: 5 } });
    rt.worker.start();
    await buildWebAssets();
    app = await buildApp(rt.ctx);
    app.server.on('upgrade', () => (upgrades += 1));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.close();
    await rt?.close();
  });

  test('after refused attempts over the retry budget the page stops, says what to do, and "Try again" tries once more', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    const session = await issueSession(rt.ctx.keys, { learner: 'ada', context: 'e2e-course', roles: ['Learner'], displayName: 'ada' }, 3600);
    await page.goto(`${base}/lab/refused#session=${session}`);
    await page.waitForSelector('#overlay:not([hidden]) #overlay-title:text("cannot be reached")', { timeout: 60_000 });
    const state = await page.evaluate(() => window.stacklab.connection);
    assert.equal(state.gaveUp, true);
    // Back-off 1, 2, 4 s: the 5 s budget is spent at the fourth failure (never fewer than three).
    assert.ok(state.failedAttempts >= 3 && state.failedAttempts <= 5, `gave up after ${state.failedAttempts} attempts`);
    assert.equal(upgrades, state.failedAttempts, 'one socket per attempt');
    const given = upgrades;
    const error = await page.innerText('#overlay-error');
    assert.match(error, /does not answer yet/, 'the cause the gateway gave');
    assert.match(error, new RegExp(`tried ${state.failedAttempts} times`));
    assert.match(error, /Try again|course team/);
    assert.equal(await page.innerText('#state-badge'), 'Error');

    // Stopped: two status polls later (the page polls a READY stack every 5 s) no new socket was opened
    // and the message is still there.
    const polled = () => page.waitForRequest((r) => r.method() === 'GET' && /\/api\/v1\/me\/stacks\/[^/]+$/.test(r.url()), { timeout: 20_000 });
    await polled();
    await polled();
    assert.equal(upgrades, given, 'the page kept retrying after it gave up');
    assert.match(await page.innerText('#overlay-title'), /cannot be reached/);

    await page.click('#overlay-action');
    await page.waitForFunction(() => window.stacklab.connection.failedAttempts >= 1 && !window.stacklab.connection.gaveUp, undefined, { timeout: 20_000 });
    assert.ok(upgrades > given, 'Try again opened a new connection');
    await page.close();
  });

  test("in the learner's language the gateway's cause is the catalogue's sentence too, without its closing \"Reconnecting…\"", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    const session = await issueSession(rt.ctx.keys, { learner: 'ada-de', context: 'e2e-course', roles: ['Learner'], displayName: 'ada' }, 3600);
    await page.goto(`${base}/lab/refused?lang=de#session=${session}`);
    const de = translator('de');
    await page.waitForSelector(`#overlay:not([hidden]) #overlay-title:text("${de('lab.gaveUpTitle', { kind: 'ssh' })}")`, { timeout: 60_000 });
    const error = await page.innerText('#overlay-error');
    const cause = de('screen.noAnswer').slice(0, -de('lab.reconnecting').length).trimEnd();
    assert.ok(error.includes(cause), `${error} should give the gateway's cause in German: ${cause}`);
    assert.ok(!error.includes(de('screen.noAnswer')) && !/Reconnecting|does not answer/.test(error), error);
    await page.close();
  });
});
