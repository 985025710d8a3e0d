/**
 * The lab page in each language, in real headless Chromium. The fake provider is enough here: what is
 * tested is the page's text and layout, not the lab (test/e2e/lab-page.test.ts drives a real one).
 *
 * In the pseudo-locales every catalogue message comes out as ⟦àççéñţéð ţéẋţ···⟧, a third longer than
 * English: any visible text outside the markers was not externalised, and any element whose content spills
 * out of its box breaks with longer translations. ar-XB is the same, right to left.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWebAssets } from '../../src/http/static.ts';
import { issueSession } from '../../src/http/session.ts';
import { SHIPPED_LOCALES } from '../../src/infra/i18n/locale-info.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './support/e2e-world.ts';
import { I18N_SHOTS as SHOTS, overflowing, unexternalised } from './support/i18n-checks.ts';

/** Shows the parts that are hidden until something happens, so their text is checked too. */
async function revealAll(page: Page): Promise<void> {
  await page.evaluate(() => {
    document.getElementById('idle-warning')!.hidden = false;
  });
}

describe('lab page in every language (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    server = await testApp({ demo: true }, { labs: [testLab({ id: 'shell', title: 'Shell basics', instructions: '# Your first lab\n\nRun `hostname`.', instructionsLayout: 'right', translatedInstructions: { de: { text: '# Ihr erstes Lab\n\nFühren Sie `hostname` aus.', file: 'instructions.de.md' } } })] });
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const address = server.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
  });

  async function open(query: string, learner: string, options: { width?: number; acceptLanguage?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1200, height: 760 }, ...(options.acceptLanguage ? { locale: options.acceptLanguage } : {}) });
    const page = await context.newPage();
    const session = await issueSession(server.rt.ctx.keys, { learner, context: 'i18n-course', roles: ['Learner'], displayName: learner }, 3600);
    await page.goto(`${base}/lab/shell${query}#session=${session}`);
    // The page has launched the lab: the starting overlay is up (the fake provider's worker is not run).
    await page.waitForSelector('#overlay:not([hidden]) #overlay-elapsed:not(:empty)', { timeout: 15_000 });
    return page;
  }

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    for (const width of [1200, 720]) {
      test(`${locale} at ${width}px: every visible string comes from the catalogue and nothing overflows`, async () => {
        const page = await open(`?lang=${locale}`, `pseudo-${locale}-${width}`, { width });
        assert.equal(await page.getAttribute('html', 'lang'), locale);
        assert.equal(await page.getAttribute('html', 'dir'), dir);
        await revealAll(page);
        assert.deepEqual(await unexternalised(page), [], 'text that is not from the catalogue');
        assert.deepEqual(await overflowing(page), [], 'layout overflow');
        await page.screenshot({ path: join(SHOTS, `lab-page-${locale}-${width}.png`) });
        // The reset dialog, with the rest of the page behind it.
        // (The Reset button is disabled while the lab starts; the dialog is what is checked.)
        await page.evaluate(() => (document.getElementById('reset-dialog') as HTMLDialogElement).showModal());
        await page.waitForSelector('#reset-dialog[open]');
        assert.deepEqual(await unexternalised(page), [], 'text in the reset dialog that is not from the catalogue');
        assert.deepEqual(await overflowing(page), [], 'layout overflow with the reset dialog open');
        await page.context().close();
      });
    }
  }

  for (const locale of SHIPPED_LOCALES) {
    test(`${locale}: the lab page renders in ${locale}`, async () => {
      const messages = JSON.parse(readFileSync(join(REPO, 'locales', `${locale}.json`), 'utf8')) as Record<string, string>;
      const page = await open(`?lang=${locale}`, `learner-${locale}`);
      assert.equal(await page.getAttribute('html', 'lang'), locale);
      assert.equal(await page.innerText('#overlay-title'), messages['title.starting']);
      assert.equal(await page.innerText('#state-badge'), messages['badge.starting']);
      assert.equal(await page.innerText('#btn-reset'), messages['page.reset']);
      // The lab has instructions in English and German (instructions.de.md): German learners get theirs.
      assert.equal(await page.innerText('#instructions h1'), locale === 'de' ? 'Ihr erstes Lab' : 'Your first lab');
      // The elapsed line carries a time of day written the locale's way (Intl in the browser).
      const elapsed = await page.innerText('#overlay-elapsed');
      const shortTime = await page.evaluate((l) => new Intl.DateTimeFormat(l, { timeStyle: 'short' }).format(new Date()), locale);
      assert.ok(elapsed.includes(shortTime.slice(0, 2)), `${elapsed} should show the time as ${shortTime}`);
      await revealAll(page);
      assert.deepEqual(await overflowing(page), [], 'layout overflow');
      await page.screenshot({ path: join(SHOTS, `lab-page-${locale}.png`) });
      await page.context().close();
    });
  }

  test('the demo course page, in the pseudo-locale, has no text outside the catalogue', async () => {
    const page = await browser.newPage({ viewport: { width: 720, height: 600 } });
    await page.goto(`${base}/?lang=en-XA`);
    await page.fill('#name', 'Ada');
    await page.click('button[type=submit]');
    await page.waitForSelector('#signed-in:not([hidden])');
    assert.deepEqual(await unexternalised(page), [], 'text that is not from the catalogue');
    assert.deepEqual(await overflowing(page), [], 'layout overflow');
    await page.close();
  });

  test('the browser language is used when the course sent none; the course language wins over it', async () => {
    const german = await open('', 'browser-de', { acceptLanguage: 'de-DE' });
    assert.equal(await german.getAttribute('html', 'lang'), 'de');
    await german.context().close();
    const launchSaysFrench = await open('?lang=fr_CA', 'browser-de-course-fr', { acceptLanguage: 'de-DE' });
    assert.equal(await launchSaysFrench.getAttribute('html', 'lang'), 'fr');
    await launchSaysFrench.context().close();
  });
});
