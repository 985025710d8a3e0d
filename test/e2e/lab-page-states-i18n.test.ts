/**
 * The lab page's other states in the pseudo-locales, in real headless Chromium (lab-page-i18n.test.ts
 * covers the page while a lab starts): a lab that failed, with what to do; a lab resuming, with the time
 * left of its budget; a lab whose budget is used up, refused by the server. Each must show no text
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
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';
import { I18N_SHOTS, overflowing, unexternalised } from './support/i18n-checks.ts';

const COURSE = 'i18n-states';
/** Ten minutes of running time, then the lab stays suspended. */
const BUDGET = { seconds: 600, mode: 'block' } as const;
const TEMPLATE = 'heat_template_version: 2016-10-14\nresources: {}\n';

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

  /** A stack of `lab` for `learner` that ran `seconds` and was then suspended. */
  async function suspendedAfter(lab: string, learner: string, seconds: number): Promise<void> {
    const stack = await rt.ctx.stacks.launch({ learner, context: COURSE, lab, actor: 'e2e' });
    await settle(rt);
    rt.clock.advance(seconds);
    await rt.ctx.stacks.requestSuspend(stack.id, 'e2e');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
  }

  async function assertClean(page: Page, dir: string, what: string): Promise<void> {
    assert.equal(await page.getAttribute('html', 'dir'), dir);
    assert.deepEqual(await unexternalised(page), [], `${what}: text that is not from the catalogue`);
    assert.deepEqual(await overflowing(page), [], `${what}: layout overflow`);
  }

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
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

    test(`${locale}: a used-up budget keeps the lab suspended, and the server's refusal is said in the page's language`, async () => {
      await suspendedAfter('timed', `used-up-${locale}`, BUDGET.seconds + 60);
      const page = await open('timed', `used-up-${locale}`, locale);
      await page.waitForSelector('#usage-left[data-exhausted="true"]:not(:empty)', { timeout: 15_000 });
      await page.waitForSelector('#overlay:not([hidden]) #overlay-title:not(:empty)', { timeout: 15_000 });
      // Coming back is refused (the budget is the server's rule too): its sentence, in the pseudo-locale.
      await page.waitForSelector('#overlay-error:not([hidden]):not(:empty)', { timeout: 15_000 });
      assert.match(await page.innerText('#overlay-error'), /^⟦[^]*⟧$/);
      await assertClean(page, dir, 'budget used up');
      await page.screenshot({ path: join(I18N_SHOTS, `lab-page-budget-${locale}.png`) });
      await page.close();
    });
  }
});
