/**
 * The learner's time budget on the lab page, in real headless Chromium with the fake provider (the lab
 * itself is not what is tested): the time left is shown from the launch on, and a page reopened on a
 * used-up `block` budget says so as it does when the budget runs out while it is open.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { buildWebAssets } from '../../src/http/static.ts';
import { issueSession } from '../../src/http/session.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM } from './support/e2e-world.ts';
import { browserOnApp } from './support/browser-on-app.ts';

const COURSE = 'budget-course';

describe('usage limit on the lab page (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    server = await testApp({}, { labs: [testLab({ id: 'shell', title: 'Shell basics', usageLimit: { seconds: 2 * 3600, mode: 'block' } })] });
    ({ base, browser } = await browserOnApp(server));
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
  });

  async function open(learner: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    const session = await issueSession(server.rt.ctx.keys, { learner, context: COURSE, roles: ['Learner'] }, 3600);
    await page.goto(`${base}/lab/shell?lang=en#session=${session}`);
    return page;
  }

  test('the page shows the time left of the budget', async () => {
    const page = await open('ada');
    await page.waitForSelector('#usage-left:not([hidden])', { timeout: 15_000 });
    assert.match(await page.innerText('#usage-left'), /^Lab time left: 2:00:00$/);
    await page.close();
  });

  test('reopening the page with a used-up block budget says so as when it runs out while the page is open, without "Try again"', async () => {
    const { rt } = server;
    const stack = await rt.ctx.stacks.launch({ learner: 'bea', context: COURSE, lab: 'shell', actor: 'test' });
    await settle(rt);
    rt.clock.advance(2 * 3600 + 60);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    const page = await open('bea');
    // Issue 18: the server's refusal of the launch, with a "Try again" that could only be refused again, was shown instead.
    await page.waitForSelector('#state-badge[data-phase="suspended"]', { timeout: 15_000 });
    await page.waitForFunction(() => /of lab time this course allows/.test(document.querySelector('#overlay-message')?.textContent ?? ''), undefined, { timeout: 5_000 });
    assert.equal(await page.innerText('#overlay-message'), 'You have used all 2:00:00 of lab time this course allows for this lab, so it stays suspended. Your work is kept; ask your course team for more time.');
    assert.equal(await page.innerText('#overlay-title'), 'Your lab is suspended');
    assert.equal(await page.isHidden('#overlay-error'), true, 'no refusal shown as an error');
    assert.equal(await page.isHidden('#overlay-action'), true, 'no "Try again": coming back would only be refused');
    await page.waitForSelector('#usage-left[data-exhausted="true"]:not([hidden])', { timeout: 5_000 });
    assert.match(await page.innerText('#usage-left'), /^Lab time used up \(2:00:00 planned\)$/);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED', 'the refused lab stays suspended');
    await page.close();
  });
});
