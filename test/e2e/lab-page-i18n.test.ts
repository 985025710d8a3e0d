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
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { SHIPPED_LOCALES } from '../../src/infra/i18n/locale-info.ts';
import { pickerPage } from '../../src/lti/html.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './support/e2e-world.ts';
import { I18N_SHOTS as SHOTS, overflowing, terminalLabels, unexternalised } from './support/i18n-checks.ts';

/*
 * How many of the distinct Chinese characters in the text Chromium draws as boxes: each one is drawn in
 * the page's font onto a canvas, and one whose pixels equal those of a character no font has (U+10FFFD,
 * drawn as the missing-glyph box) or of another character (every missing glyph is the same box) has no
 * glyph. Run in the page as source text, like the checks above.
 */
const TOFU = `((text) => {
    const font = getComputedStyle(document.body).font;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 48;
    const g = canvas.getContext('2d', { willReadFrequently: true });
    const draw = (ch) => {
      g.clearRect(0, 0, 48, 48);
      g.font = font.replace(/\\d+(\\.\\d+)?px/, '32px');
      g.fillText(ch, 4, 36);
      return Array.from(g.getImageData(0, 0, 48, 48).data).join(',');
    };
    const missing = draw(String.fromCodePoint(0x10fffd));
    const seen = new Map();
    let boxes = 0;
    const chars = [...new Set([...text].filter((ch) => /\\p{Script=Han}/u.test(ch)))];
    for (const ch of chars) {
      const pixels = draw(ch);
      if (pixels === missing || seen.has(pixels)) boxes++;
      seen.set(pixels, ch);
    }
    return { chars: chars.length, boxes };
})`;

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
        // The terminal is the lab's (exempt above), but what xterm tells a screen reader is the page's.
        assert.deepEqual(await terminalLabels(page), ['⟦'], "the terminal input's label is from the catalogue");
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

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    test(`${locale}: the lab page's error state and the LTI pages come from the catalogue, fit at 720px and run ${dir}`, async () => {
      const page = await browser.newPage({ viewport: { width: 720, height: 760 } });
      // A session the server refuses: the page says so with the server's own sentence, which must be in the page's language.
      await page.goto(`${base}/lab/shell?lang=${locale}#session=not-a-session-token`);
      await page.waitForSelector('#overlay:not([hidden]) #overlay-error:not(:empty)', { timeout: 15_000 });
      assert.equal(await page.getAttribute('html', 'dir'), dir);
      assert.match(await page.innerText('#overlay-error'), /^⟦.*⟧$/s, 'the API error is said in the page language');
      assert.deepEqual(await unexternalised(page), [], 'text in the error state that is not from the catalogue');
      assert.deepEqual(await overflowing(page), [], 'layout overflow in the error state');
      await page.screenshot({ path: join(SHOTS, `lab-page-error-${locale}.png`) });

      // The LTI refusal page, as a browser gets it from a login that did not come from a course.
      const refusal = await page.goto(`${base}/lti/login?lang=${locale}`);
      assert.equal(refusal?.status(), 400);
      assert.equal(await page.getAttribute('html', 'lang'), locale);
      assert.equal(await page.getAttribute('html', 'dir'), dir);
      assert.match(await page.innerText('#refusal'), /^⟦.*⟧$/s, "the refusal's own sentence is in the page language");
      assert.deepEqual(await unexternalised(page), [], 'text on the refusal page that is not from the catalogue');
      assert.deepEqual(await overflowing(page), [], 'layout overflow on the refusal page');
      await page.screenshot({ path: join(SHOTS, `lti-refusal-${locale}.png`) });

      // The deep-linking picker, as its route renders it (reaching it needs a signed platform launch: test/lti/deep-linking.test.ts).
      const labs = [
        { id: 'shell', title: 'Shell basics', description: 'Files, pipes and permissions on one server.' },
        { id: 'web-servers', title: 'Web servers', description: 'nginx in front of two application servers.' },
      ];
      await page.setContent(pickerPage({ locale, t: translator(locale) }, '/lti/deep-link', 'token', labs, true, ['Kubernetes (waiting)']));
      assert.equal(await page.getAttribute('html', 'dir'), dir);
      assert.deepEqual(await unexternalised(page), [], 'text in the lab picker that is not from the catalogue');
      assert.deepEqual(await overflowing(page), [], 'layout overflow in the lab picker');
      await page.screenshot({ path: join(SHOTS, `lti-picker-${locale}.png`) });
      await page.close();
    });
  }

  for (const locale of SHIPPED_LOCALES) {
    test(`${locale}: the lab page renders in ${locale}`, async (context) => {
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
      if (locale === 'zh-CN') {
        const glyphs = (await page.evaluate(`${TOFU}(document.body.innerText)`)) as { chars: number; boxes: number };
        assert.ok(glyphs.chars > 10, `the page should show Chinese text (${glyphs.chars} characters)`);
        // A newcomer's machine may lack the font: the screenshot then shows boxes, and only CI insists.
        if (process.env.CI === 'true') assert.equal(glyphs.boxes, 0, `${glyphs.boxes} of ${glyphs.chars} Chinese characters drawn as boxes: install a CJK font (apt-get install fonts-noto-cjk)`);
        else if (glyphs.boxes > 0) context.diagnostic(`zh-CN: ${glyphs.boxes} characters drawn as boxes; apt-get install fonts-noto-cjk`);
      }
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
