/**
 * The lab page hears of READY on the status request it already has waiting (issue 21), in real headless
 * Chromium with the fake provider: the change is made through the store as another process's worker
 * would, and the answer that carries READY is the one the page asked for before the change, not a poll
 * sent a poll period later.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Request } from 'playwright-core';
import { buildWebAssets } from '../../src/http/static.ts';
import { issueSession } from '../../src/http/session.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { eventually } from '../support/eventually.ts';
import { settle, testApp, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM } from './support/e2e-world.ts';
import { browserOnApp } from './support/browser-on-app.ts';

const COURSE = 'wait-course';

describe('lab page status wait (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    server = await testApp();
    ({ base, browser } = await browserOnApp(server));
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
  });

  test('a resuming lab: the page learns of READY from the request it had waiting, not from a later poll', async () => {
    const { rt } = server;
    const launched = await rt.ctx.stacks.launch({ learner: 'ada', context: COURSE, lab: 'demo', actor: 'test' });
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(launched.id, 'test');
    await settle(rt);
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    const statusReads: Request[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname === `/api/v1/me/stacks/${launched.id}`) statusReads.push(request);
    });
    const session = await issueSession(rt.ctx.keys, { learner: 'ada', context: COURSE, roles: ['Learner'] }, 3600);
    await page.goto(`${base}/lab/demo?lang=en#session=${session}`);
    // The page comes back (RESUME_PENDING); no worker runs here, so the test moves the stack itself.
    await page.waitForSelector('#state-badge[data-phase="resuming"]', { timeout: 15_000 });
    const store = rt.ctx.stacks.store;
    assert.ok(await store.transition({ id: launched.id, from: ['RESUME_PENDING'], to: 'RESUMING', reason: reason('history.claimedByWorker'), actor: 'worker:elsewhere', now: rt.clock.now() }));
    // The page waits again, now on RESUMING; once the server holds that wait, the stack becomes READY.
    const waitingOnResuming = await eventually(() => statusReads.find((r) => new URL(r.url()).searchParams.get('since')?.startsWith('RESUMING@')), 10_000, 'a wait on RESUMING');
    await eventually(() => (rt.ctx.stacks.statusWaits.size === 1 ? true : undefined), 10_000, 'the server to hold the wait');
    const readsBefore = statusReads.length;
    const readyAnswer = page.waitForResponse(async (response) => statusReads.includes(response.request()) && (await response.json()).state === 'READY', { timeout: 15_000 });
    assert.ok(await store.transition({ id: launched.id, from: ['RESUMING'], to: 'READY', reason: reason('history.resumed'), actor: 'worker:elsewhere', now: rt.clock.now() }));
    const answer = await readyAnswer;
    await page.waitForSelector('#state-badge[data-phase="ready"]', { timeout: 15_000 });
    assert.equal(answer.request(), waitingOnResuming, 'READY arrived on the wait sent before the change, not on a later poll');
    assert.ok(statusReads.indexOf(answer.request()) < readsBefore);
    await page.close();
  });
});
