/**
 * The lab page's other states in the pseudo-locales, in real headless Chromium (lab-page-i18n.test.ts
 * covers the page while a lab starts): a lab that failed, with what to do; a lab resuming, with the time
 * left of its budget; a lab whose budget is used up (its resume refused by the server). Each must show no text
 * outside the catalogue's ⟦ ⟧ markers and nothing that overflows at 720 pixels; ar-XB runs right to
 * left. The fake provider is enough: what is tested is the page's text, not the lab.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { buildWebAssets } from '../../src/http/static.ts';
import { issueSession } from '../../src/http/session.ts';
import { inEnglish, sentence } from '../../src/errors/sentence.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';
import { I18N_SHOTS, overflowing, unexternalised } from './support/i18n-checks.ts';

const COURSE = 'i18n-states';
/** Ten minutes of running time, then the lab stays suspended. */
const BUDGET = { seconds: 600, mode: 'block' } as const;
const TEMPLATE = 'heat_template_version: 2016-10-14\nresources: {}\n';
/** The lab author's checks: their titles and hints are the author's words, shown as written. */
const CHECKS = [
  { title: 'hello.txt exists', script: '#!/bin/sh\ntest -f ~/hello.txt\n', weight: 1, hint: 'Create hello.txt in your home directory.' },
  { title: 'nginx answers', script: '#!/bin/sh\ncurl -sf localhost\n', weight: 1 },
  { title: 'the firewall is on', script: '#!/bin/sh\nufw status | grep -q active\n', weight: 1 },
];

describe('lab page states in the pseudo-locales (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let rt: TestRuntime;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    rt = await testRuntime({
      providers: [new FakeProvider('fake'), new FakeProvider('broken', { fail: ['create'] })],
      labs: [
        testLab({ id: 'timed', title: 'Timed lab', usageLimit: BUDGET }),
        testLab({ id: 'broken', title: 'Broken lab', providers: [{ name: 'broken', capacity: -1, template: TEMPLATE, templateFile: 'template.yaml' }] }),
        testLab({ id: 'checked', title: 'Checked lab', checks: CHECKS }),
      ],
    });
    app = await buildApp(rt.ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(I18N_SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await app?.close();
    await rt?.close();
  });

  async function open(lab: string, learner: string, locale: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 720, height: 760 } });
    const session = await issueSession(rt.ctx.keys, { learner, context: COURSE, roles: ['Learner'], displayName: learner }, 3600);
    await page.goto(`${base}/lab/${lab}?lang=${locale}#session=${session}`);
    return page;
  }

  /** A stack of `lab` for `learner` that ran `seconds` and was then suspended (the page resumes it, without a terminal to connect). */
  async function suspendedAfter(lab: string, learner: string, seconds: number): Promise<string> {
    const stack = await rt.ctx.stacks.launch({ learner, context: COURSE, lab, actor: 'e2e' });
    await settle(rt);
    rt.clock.advance(seconds);
    await rt.ctx.stacks.requestSuspend(stack.id, 'e2e');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
    return stack.id;
  }

  async function assertClean(page: Page, dir: string, what: string): Promise<void> {
    assert.equal(await page.getAttribute('html', 'dir'), dir);
    assert.deepEqual(await unexternalised(page), [], `${what}: text that is not from the catalogue`);
    assert.deepEqual(await overflowing(page), [], `${what}: layout overflow`);
  }

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    test(`${locale}: a progress check's result: stacklab's framing from the catalogue, the author's titles and hints as written`, async () => {
      const learner = `checked-${locale}`;
      const stackId = await suspendedAfter('checked', learner, 60);
      // One check passed, one failed with the author's hint, one timed out with the hint stacklab writes.
      const results = [
        { index: 0, title: CHECKS[0].title, weight: 1, passed: true, timedOut: false, durationMs: 20 },
        { index: 1, title: CHECKS[1].title, weight: 1, passed: false, timedOut: false, durationMs: 30, hint: CHECKS[0].hint },
        { index: 2, title: CHECKS[2].title, weight: 1, passed: false, timedOut: true, durationMs: 0, hint: inEnglish(sentence('check.hint.timedOut', { seconds: 30 })) },
      ];
      await rt.ctx.db.query(
        `INSERT INTO check_runs (id, stack_id, learner, context, lab, status, actor, started_at, deadline, finished_at, passed, total, score, results, error)
         VALUES ($1, $2, $3, $4, 'checked', 'completed', 'e2e', now(), now(), now(), 1, 3, 0.333, $5, NULL)`,
        [`run-${locale}`, stackId, learner, COURSE, JSON.stringify(results)],
      );
      const page = await open('checked', learner, locale);
      await page.waitForSelector('.progress-check-summary', { timeout: 15_000 });
      assert.deepEqual(await page.locator('.progress-check-title').allInnerTexts(), CHECKS.map((c) => c.title), "the author's titles, as written");
      const hints = await page.locator('.progress-check-hint').allInnerTexts();
      assert.equal(hints[0], CHECKS[0].hint, "the author's hint, as written");
      assert.match(hints[1], /^⟦[^]*⟧$/, "stacklab's own hint, from the catalogue");
      // The hint's bar is on the reading side: the right in a right-to-left page.
      const bar = await page.locator('.progress-check-hint').first().evaluate((el) => ({ left: getComputedStyle(el).borderLeftWidth, right: getComputedStyle(el).borderRightWidth }));
      assert.deepEqual(bar, dir === 'rtl' ? { left: '0px', right: '3px' } : { left: '3px', right: '0px' });
      await assertClean(page, dir, 'progress check result');
      await page.screenshot({ path: join(I18N_SHOTS, `lab-page-checks-${locale}.png`) });
      await page.close();
    });

    test(`${locale}: a failed launch says what went wrong and what to do, from the catalogue`, async () => {
      const page = await open('broken', `failed-${locale}`, locale);
      await page.waitForSelector('#overlay:not([hidden]) #overlay-elapsed:not(:empty)', { timeout: 15_000 });
      await settle(rt);
      await page.waitForSelector('#overlay-error:not([hidden]):not(:empty)', { timeout: 15_000 });
      await page.waitForSelector('#overlay-action:not([hidden])');
      // The provider's own words ride inside the catalogue's sentence, as they came.
      assert.match(await page.innerText('#overlay-error'), /^⟦[^]*⟧$/);
      await assertClean(page, dir, 'failed');
      await page.screenshot({ path: join(I18N_SHOTS, `lab-page-failed-${locale}.png`) });
      await page.close();
    });

    test(`${locale}: a lab resuming shows the time left of its budget, from the catalogue`, async () => {
      await suspendedAfter('timed', `resuming-${locale}`, 120);
      const page = await open('timed', `resuming-${locale}`, locale);
      await page.waitForSelector('#usage-left:not([hidden]):not(:empty)', { timeout: 15_000 });
      await page.waitForSelector('#state-badge[data-phase="resuming"]', { timeout: 15_000 });
      assert.match(await page.innerText('#usage-left'), /^⟦[^]*⟧$/);
      await assertClean(page, dir, 'resuming with a budget');
      await page.close();
    });

    test(`${locale}: a used-up budget keeps the lab suspended, and the page says so in its language`, async () => {
      await suspendedAfter('timed', `used-up-${locale}`, BUDGET.seconds + 60);
      const page = await open('timed', `used-up-${locale}`, locale);
      await page.waitForSelector('#usage-left[data-exhausted="true"]:not(:empty)', { timeout: 15_000 });
      await page.waitForSelector('#overlay:not([hidden]) #overlay-title:not(:empty)', { timeout: 15_000 });
      // Coming back is refused (the budget is the server's rule too): the page's budget message, not the refusal.
      await page.waitForSelector('#state-badge[data-phase="suspended"]', { timeout: 15_000 });
      await page.waitForSelector('#overlay-message:not(:empty)', { timeout: 15_000 });
      assert.match(await page.innerText('#overlay-message'), /^⟦[^]*⟧$/);
      assert.equal(await page.isHidden('#overlay-action'), true);
      await assertClean(page, dir, 'budget used up');
      await page.screenshot({ path: join(I18N_SHOTS, `lab-page-budget-${locale}.png`) });
      await page.close();
    });
  }
});
