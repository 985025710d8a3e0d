/**
 * The cost report page an instructor opens (GET /api/v1/course/reports/cost?format=html, their LTI
 * session) in real headless Chromium, on the fake provider: what is tested is the page's text and layout.
 * Under the pseudo-locales no text may stand outside the catalogue's ⟦ ⟧ markers and nothing may
 * overflow, at 1200 and 720 pixels; ar-XB runs right to left. German shows the catalogue's words and
 * money written the German way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { issueSession } from '../../src/http/session.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';
import { I18N_SHOTS, overflowing, unexternalised } from './support/i18n-checks.ts';

/** An Open edX course id, as long as they come. */
const COURSE = 'course-v1:UniversityX+LinuxSystemAdministration101+2026_Spring';
const PRICES = { fake: { per: 'stack-hour', currency: 'EUR', stack: { running: 1.25, suspended: 0.25 } } };

describe('cost report page in every language (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let browser: Browser;
  let base = '';
  let month = '';

  before(async () => {
    server = await testApp({ prices: PRICES }, { labs: [testLab({ id: 'shell', title: 'Shell basics' })] });
    const { rt } = server;
    month = rt.clock.now().toISOString().slice(0, 7);
    for (const learner of ['ada.lovelace@university.example', 'grace']) await rt.ctx.stacks.launch({ learner, context: COURSE, lab: 'shell', actor: 'e2e' });
    await settle(rt);
    rt.clock.advance(5400);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const address = server.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(I18N_SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.close();
  });

  /** The instructor's report, opened as a browser would with the session in the Authorization header. */
  async function open(query: string, width: number, acceptLanguage?: string): Promise<Page> {
    const session = await issueSession(server.rt.ctx.keys, { learner: 'tess', context: COURSE, roles: ['Instructor'], displayName: 'Tess Teacher' }, 3600);
    const context = await browser.newContext({ viewport: { width, height: 900 }, extraHTTPHeaders: { authorization: `Bearer ${session}` }, ...(acceptLanguage ? { locale: acceptLanguage } : {}) });
    const page = await context.newPage();
    const answer = await page.goto(`${base}/api/v1/course/reports/cost?from=${month}&format=html${query}`);
    assert.equal(answer?.status(), 200, await answer?.text());
    return page;
  }

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    for (const width of [1200, 720]) {
      test(`${locale} at ${width}px: every word comes from the catalogue and nothing overflows`, async () => {
        const page = await open(`&lang=${locale}`, width);
        assert.equal(await page.getAttribute('html', 'lang'), locale);
        assert.equal(await page.getAttribute('html', 'dir'), dir);
        assert.ok((await page.locator('tbody tr').count()) >= 3, 'the tables have rows');
        assert.deepEqual(await unexternalised(page), [], 'text that is not from the catalogue');
        assert.deepEqual(await overflowing(page), [], 'layout overflow');
        await page.screenshot({ path: join(I18N_SHOTS, `cost-report-${locale}-${width}.png`), fullPage: true });
        await page.context().close();
      });
    }
  }

  test('de from the browser: the catalogue words, money and hours the German way', async () => {
    const page = await open('', 720, 'de-DE');
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.innerText('h2 >> nth=0'), translator('de')('report.runningOverTime'));
    // Two stacks ran 1.5 h each at 1.25 EUR an hour.
    assert.match(await page.innerText('#total-cost'), /^3,75\s€$/);
    assert.match(await page.innerText('#total-billed'), /^3,0$/);
    assert.deepEqual(await overflowing(page), [], 'layout overflow');
    await page.screenshot({ path: join(I18N_SHOTS, 'cost-report-de.png'), fullPage: true });
    await page.context().close();
  });
});
