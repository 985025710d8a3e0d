/**
 * Departure in real headless Chromium: a lab page that is closed or navigated away sends its beacon and
 * the stack suspends once the grace is over; a second page of the same stack still open keeps it up.
 * The stack runs on the fake provider with the runtime's manual clock (the server's time), so the grace
 * passes when the test says; the page, the beacon, its token and the route are the real ones.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { buildWebAssets } from '../../src/http/static.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { suspender } from '../../src/services/sweeps.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';

const GRACE = 60;
const SWEEP = { batch: 100, deleteAttempts: 3, suspendAttempts: 3, retryBackoff: 30 };

describe('lab page departure (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  before(async () => {
    rt = await testRuntime({ providers: [new FakeProvider('fake')], labs: [testLab({ id: 'leaving', title: 'Leaving lab' })], overrides: { poll_interval: 0.1, departure_grace: GRACE } });
    rt.worker.start();
    await buildWebAssets();
    app = await buildApp(rt.ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.close();
    await rt?.close();
  });

  /** Opens the lab for `learner` and waits until the stack is READY and the page holds its departure token. */
  async function openLab(context: BrowserContext, learner: string): Promise<{ page: Page; stackId: string }> {
    const page = await context.newPage();
    const token = page.waitForResponse((r) => r.url().includes('/departure-token') && r.status() === 200, { timeout: 30_000 });
    const session = await issueSession(rt.ctx.keys, { learner, context: 'e2e-course', roles: ['Learner'] }, 3600);
    await page.goto(`${base}/lab/leaving#session=${session}`);
    await page.waitForFunction(() => window.stacklab.stack?.phase === 'ready', undefined, { timeout: 30_000 });
    await token;
    return { page, stackId: await page.evaluate(() => window.stacklab.stack!.id) };
  }

  const sweep = () => suspender(rt.store, rt.clock.now(), SWEEP);
  const departed = (stackId: string) => eventually(async () => (await rt.ctx.stacks.get(stackId)).departedAt ?? undefined, 10_000, 'the departure beacon');

  test('closing the tab sends the beacon, and the stack suspends once the grace is over', async () => {
    const context = await browser.newContext();
    const { page, stackId } = await openLab(context, 'ada');
    rt.clock.advance(5);
    await page.close();
    await departed(stackId);
    rt.clock.advance(GRACE - 10);
    await sweep();
    assert.equal((await rt.ctx.stacks.get(stackId)).state, 'READY', 'not before the grace is over');
    rt.clock.advance(11);
    await sweep();
    await rt.ctx.stacks.waitForState(stackId, ['SUSPENDED'], 30_000);
    await context.close();
  });

  test('navigating away with a second page of the stack still open does not suspend it', async () => {
    const context = await browser.newContext();
    const first = await openLab(context, 'grace');
    const second = await openLab(context, 'grace');
    assert.equal(second.stackId, first.stackId, 'the two pages show the same stack');
    rt.clock.advance(5);
    // The LMS navigates on in the first page's frame.
    await first.page.goto('about:blank');
    const leftAt = await departed(first.stackId);
    rt.clock.advance(2);
    // The page still open hears the goodbye and keeps the stack alive (a keepalive after the departure).
    await eventually(async () => ((await rt.ctx.stacks.get(first.stackId)).lastActivityAt > leftAt ? true : undefined), 15_000, "the open page's keepalive after the departure");
    rt.clock.advance(GRACE + 5);
    await sweep();
    assert.equal((await rt.ctx.stacks.get(first.stackId)).state, 'READY');
    await context.close();
  });

  test('a beacon without a valid token is refused and changes nothing', async () => {
    const answer = await fetch(`${base}/api/v1/departures`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'not-a-token' });
    assert.equal(answer.status, 401);
    const empty = await fetch(`${base}/api/v1/departures`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '' });
    assert.equal(empty.status, 401);
  });
});
