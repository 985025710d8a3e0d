/**
 * The staff console in each language, in real headless Chromium, on the same fake-provider world as the
 * lab page's language test (test/e2e/lab-page-i18n.test.ts): what is tested is the console's text and
 * layout, not the stacks (test/e2e/console.test.ts drives real ones).
 *
 * Under the pseudo-locales every view (sign-in, the stacks list with its bulk confirmation, a stack's
 * page, providers and labs) must show no text outside the catalogue's ⟦ ⟧ markers and nothing that
 * overflows; ar-XB is laid out right to left. German, chosen by the browser, shows the catalogue's words
 * and dates written the German way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWebAssets } from '../../src/http/static.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './support/e2e-world.ts';
import { assertHistorySaid, I18N_SHOTS, overflowing, unexternalised } from './support/i18n-checks.ts';
import { budgetExtended } from '../../src/infra/i18n/history-reasons.ts';

const PASSWORD = 'correct horse battery staple';
/** A history entry as written before migration 017: English text, no key. */
const LEGACY_NOTE = 'extended the budget (written before the history named its messages)';

describe('staff console in every language (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    server = await testApp({}, { labs: [testLab({ id: 'shell', title: 'Shell basics' })] });
    await server.rt.ctx.operators.add('ada', PASSWORD);
    const ids: string[] = [];
    for (const learner of ['grace', 'greta', 'linus']) ids.push((await server.rt.ctx.stacks.launch({ learner, context: 'i18n-course', lab: 'shell', actor: 'e2e' })).id);
    await settle(server.rt);
    // Each stack's timeline: its launch, claim and creation, a staff action with values, and an entry from before the keys.
    for (const id of ids) {
      await server.rt.ctx.stacks.recordStaffAction(id, budgetExtended(5400, 'retake'), 'instructor:tess');
      await server.rt.ctx.db.query(
        `INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at, kind) SELECT id, state, state, $2, 'operator:ada', now(), 'staff_action' FROM stacks WHERE id = $1`,
        [id, LEGACY_NOTE],
      );
    }
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

  /** Signs in through the form, in a browser of `acceptLanguage`; lands on the stacks list. */
  async function signIn(query: string, width: number, acceptLanguage?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 760 }, ...(acceptLanguage ? { locale: acceptLanguage } : {}) });
    const page = await context.newPage();
    await page.goto(`${base}/console${query}`);
    await page.waitForSelector('#sign-in-name:focus');
    return page;
  }

  async function submitSignIn(page: Page): Promise<void> {
    await page.fill('#sign-in-name', 'ada');
    await page.fill('#sign-in-password', PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#stacks-table tbody tr');
    // The live counts arrive by the event stream.
    await page.waitForSelector('[data-count=running]');
  }

  async function assertClean(page: Page, view: string): Promise<void> {
    assert.deepEqual(await unexternalised(page), [], `${view}: text that is not from the catalogue`);
    assert.deepEqual(await overflowing(page), [], `${view}: layout overflow`);
  }

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    for (const width of [1200, 720]) {
      test(`${locale} at ${width}px: every view's text comes from the catalogue and nothing overflows`, async () => {
        const page = await signIn(`?lang=${locale}`, width);
        assert.equal(await page.getAttribute('html', 'lang'), locale);
        assert.equal(await page.getAttribute('html', 'dir'), dir);
        await assertClean(page, 'sign-in');

        await submitSignIn(page);
        await page.click('#select-all');
        // Taken before the checks, so a failure leaves the picture to look at.
        await page.screenshot({ path: join(I18N_SHOTS, `console-${locale}-${width}.png`) });
        await assertClean(page, 'stacks list');
        await page.click('#bulk-apply');
        await page.waitForSelector('#bulk-confirm[open]');
        await assertClean(page, 'bulk confirmation');
        await page.click('#bulk-confirm button[value=cancel]');
        await page.waitForSelector('#bulk-confirm', { state: 'detached' });

        await page.click('#stacks-table tbody tr:first-child a');
        await page.waitForSelector('#timeline li');
        await assertClean(page, "a stack's page");
        await assertHistorySaid(page, '#timeline .reason', { atLeast: 4, includes: 'retake', legacy: LEGACY_NOTE });

        await page.click('a[data-section=overview]');
        await page.waitForSelector('#providers-table');
        await assertClean(page, 'providers and labs');
        await page.context().close();
      });
    }
  }

  test('de from the browser: the catalogue words, and dates and counts the German way', async () => {
    const messages = JSON.parse(readFileSync(join(REPO, 'locales', 'de.json'), 'utf8')) as Record<string, string>;
    const page = await signIn('', 720, 'de-DE');
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.innerText('#sign-in-title'), messages['console.signInTitle']);
    await submitSignIn(page);
    assert.equal(await page.innerText('main h2'), messages['console.stacks']);
    assert.equal(await page.innerText('a[data-section=overview]'), messages['console.navOverview']);
    await page.waitForSelector('[data-count=running]:text("3 laufend")');
    // 2.12.26, 15:04:05: the Created column, in German date order.
    const created = await page.innerText('#stacks-table tbody tr:first-child td:last-child');
    assert.match(created, /^\d{1,2}\.\d{1,2}\.\d{2}, \d{2}:\d{2}:\d{2}$/);
    await page.click('#select-all');
    assert.equal(await page.innerText('#bulk-apply'), 'Auf 3 ausgewählte anwenden');
    assert.deepEqual(await overflowing(page), [], 'layout overflow');
    await page.screenshot({ path: join(I18N_SHOTS, 'console-de.png') });
    await page.click('#bulk-apply');
    assert.equal(await page.innerText('#bulk-confirm-title'), '3 Stacks anhalten?');
    await page.click('#bulk-confirm button[value=cancel]');
    await page.waitForSelector('#bulk-confirm', { state: 'detached' });
    // A stack's history in German, its values in place; the entry from before the keys as it was stored.
    await page.click('#stacks-table tbody tr:first-child a');
    await page.waitForSelector('#timeline li');
    const timeline = await page.innerText('#timeline');
    assert.ok(timeline.includes('1 Std. 30 Min. Laborzeit zum Budget hinzugefügt (retake)'), timeline);
    assert.ok(timeline.includes(messages['history.created']!), timeline);
    assert.ok(timeline.includes(LEGACY_NOTE), timeline);
    await page.context().close();
  });
});
