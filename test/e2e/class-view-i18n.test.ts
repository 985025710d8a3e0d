/**
 * The instructors' class view in each language, in real headless Chromium, on the same fake-provider
 * world as the lab page's language test (test/e2e/lab-page-i18n.test.ts): what is tested is the page's
 * text and layout, not the terminals (test/e2e/class-view.test.ts watches real ones).
 *
 * Under the pseudo-locales the roster, the watch panel, the recordings with the player, and the reset
 * dialog must show no text outside the catalogue's ⟦ ⟧ markers and nothing that overflows; ar-XB is laid
 * out right to left. German shows the catalogue's words and dates and durations written the German way.
 * The language comes as the lab page's does: the lab page's "Class view" link carries the launch's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildWebAssets } from '../../src/http/static.ts';
import { issueSession } from '../../src/http/session.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './support/e2e-world.ts';
import { assertHistorySaid, I18N_SHOTS, overflowing, terminalLabels, unexternalised } from './support/i18n-checks.ts';
import { budgetExtended } from '../../src/infra/i18n/history-reasons.ts';

const COURSE = 'i18n-class';
/** The class view's terminals clip what they hold, like the lab page's. */
const TERMINALS = '.terminal';
/** A staff action as written before migration 017: English text, no key. */
const LEGACY_NOTE = 'watched the terminal (written before the history named its messages)';

describe('class view in every language (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let server: TestApp;
  let browser: Browser;
  let base = '';

  before(async () => {
    await buildWebAssets();
    // A time budget, so each row shows the time left and offers "Add time" (usage limits, docs/cost.md).
    server = await testApp({}, { labs: [testLab({ id: 'shell', title: 'Shell basics', usageLimit: { seconds: 36_000, mode: 'block' } })] });
    const { stacks, recordings, labs } = server.rt.ctx;
    const ids: string[] = [];
    for (const learner of ['ada', 'bob']) ids.push((await stacks.launch({ learner, context: COURSE, lab: 'shell', actor: 'e2e' })).id);
    await settle(server.rt);
    // Ada's terminal session was recorded: the recordings panel lists it and the player plays it.
    const recording = await recordings.start(await stacks.get(ids[0]), labs.get('shell')!, 'server-1', { cols: 80, rows: 24 });
    assert.ok(recording, 'the test lab records terminal sessions');
    recording.output(Buffer.from('$ hostname\r\nserver-1\r\n'));
    await recording.close();
    // Ada's history: time added (with a note, a value the message carries), and an entry from before the keys.
    // Playing her recording in the tests adds one more (GET /api/v1/class/recordings/:id).
    await stacks.recordStaffAction(ids[0]!, budgetExtended(5400, 'retake'), 'instructor:tess');
    await server.rt.ctx.db.query(
      `INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at, kind) SELECT id, state, state, $2, 'instructor:tess', now(), 'staff_action' FROM stacks WHERE id = $1`,
      [ids[0], LEGACY_NOTE],
    );
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

  function instructorSession(): Promise<string> {
    return issueSession(server.rt.ctx.keys, { learner: 'tess', context: COURSE, roles: ['Instructor'], displayName: 'Tess Teacher' }, 3600);
  }

  async function open(query: string, width: number, acceptLanguage?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 760 }, ...(acceptLanguage ? { locale: acceptLanguage } : {}) });
    const page = await context.newPage();
    await page.goto(`${base}/class${query}#session=${await instructorSession()}`);
    await page.waitForSelector('#roster tbody tr[data-learner="bob"]');
    return page;
  }

  async function assertClean(page: Page, view: string): Promise<void> {
    assert.deepEqual(await unexternalised(page), [], `${view}: text that is not from the catalogue`);
    assert.deepEqual(await overflowing(page, TERMINALS), [], `${view}: layout overflow`);
  }

  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    for (const width of [1200, 720]) {
      test(`${locale} at ${width}px: every part's text comes from the catalogue and nothing overflows`, async () => {
        const page = await open(`?lang=${locale}`, width);
        assert.equal(await page.getAttribute('html', 'lang'), locale);
        assert.equal(await page.getAttribute('html', 'dir'), dir);
        await assertClean(page, 'roster');

        // The watch panel needs a live terminal to open (class-view.test.ts); its own text is what is checked here.
        await page.evaluate(() => {
          document.getElementById('shadow-panel')!.hidden = false;
        });
        await page.click('#roster tbody tr[data-learner="ada"] button.recordings');
        await page.waitForSelector('#recordings-list li button.play');
        await page.click('#recordings-list li:first-child button.play');
        await page.waitForSelector('#player[data-state="finished"]');
        await page.screenshot({ path: join(I18N_SHOTS, `class-page-${locale}-${width}.png`) });
        await assertClean(page, 'watch panel, recordings and player');
        assert.deepEqual(await terminalLabels(page), ['⟦'], "the player's terminal input label is from the catalogue");

        await page.click('#roster tbody tr[data-learner="ada"] button.history');
        await page.waitForSelector('#history-dialog[open] #history-list li');
        await assertClean(page, 'history dialog');
        await assertHistorySaid(page, '#history-list li .what', { atLeast: 2, includes: 'retake', legacy: LEGACY_NOTE });
        await page.click('#history-dialog button[type=submit]');
        await page.waitForSelector('#history-dialog:not([open])', { state: 'attached' });

        // The time budget: the time left in the row, and the "Add time" dialog with the amounts it offers.
        assert.ok((await page.locator('#roster tbody tr[data-learner="ada"] .budget').count()) === 1, 'the row shows its budget');
        await page.click('#roster tbody tr[data-learner="ada"] button.add-time');
        await page.waitForSelector('#budget-dialog[open]');
        await assertClean(page, 'add-time dialog');
        const amounts = await page.locator('#budget-amount option').allInnerTexts();
        assert.equal(amounts.length, 4);
        for (const amount of amounts) assert.match(amount, /^⟦.*⟧$/, `an amount not from the catalogue: ${amount}`);
        await page.click('#budget-dialog button[value=cancel]');
        await page.waitForSelector('#budget-dialog:not([open])', { state: 'attached' });

        await page.click('#roster tbody tr[data-learner="bob"] button.reset');
        await page.waitForSelector('#reset-dialog[open]');
        await assertClean(page, 'reset dialog');
        await page.click('#reset-dialog button[value=cancel]');
        await page.context().close();
      });
    }
  }

  test('de: the catalogue words, and dates, durations and scores the German way', async () => {
    const messages = JSON.parse(readFileSync(join(REPO, 'locales', 'de.json'), 'utf8')) as Record<string, string>;
    const page = await open('?lang=de', 720);
    assert.equal(await page.getAttribute('html', 'lang'), 'de');
    assert.equal(await page.innerText('h1'), messages['class.heading']);
    assert.equal(await page.innerText('#roster thead th:first-child'), messages['class.colLearner']);
    const ada = '#roster tbody tr[data-learner="ada"]';
    assert.equal(await page.innerText(`${ada} button.watch`), messages['class.watch']);
    // Last activity as 2.12.26, 15:04:05; time used with hours (0:00:00).
    assert.match(await page.innerText(`${ada} td:nth-child(4)`), /^\d{1,2}\.\d{1,2}\.\d{2}, \d{2}:\d{2}:\d{2}$/);
    assert.match(await page.innerText(`${ada} td:nth-child(5)`), /^\d+:\d{2}:\d{2}\b/);
    // Beside it, the time left of the ten-hour budget; "Add time" offers its amounts in German plurals.
    assert.match(await page.innerText(`${ada} .budget`), /^noch \d+:\d{2}:\d{2} von 10:00:00$/);
    await page.click(`${ada} button.add-time`);
    await page.waitForSelector('#budget-dialog[open]');
    assert.deepEqual(await page.locator('#budget-amount option').allInnerTexts(), ['30 Minuten', '1 Stunde', '2 Stunden', '5 Stunden']);
    await page.click('#budget-dialog button[value=cancel]');
    await page.waitForSelector('#budget-dialog:not([open])', { state: 'attached' });
    await page.click(`${ada} button.recordings`);
    await page.click('#recordings-list li:first-child button.play');
    await page.waitForSelector('#player[data-state="finished"]');
    // One output event: the singular of the plural message.
    assert.equal(await page.innerText('#player-status'), 'Fertig (1 Ereignis).');
    assert.match(await page.innerText('#recordings-list li:first-child'), / bis .* auf server-1/);
    assert.deepEqual(await overflowing(page, TERMINALS), [], 'layout overflow');
    await page.screenshot({ path: join(I18N_SHOTS, 'class-page-de.png') });
    // The history in German: the time added with its note, the recording just played with its server.
    await page.click(`${ada} button.history`);
    await page.waitForSelector('#history-dialog[open] #history-list li');
    const history = await page.innerText('#history-list');
    assert.ok(history.includes('1 Std. 30 Min. Laborzeit zum Budget hinzugefügt (retake)'), history);
    assert.match(history, /hat die Terminalaufzeichnung vom .* \(server-1\) abgespielt/);
    assert.ok(history.includes(LEGACY_NOTE), history);
    await page.context().close();
  });

  test("the launch's language reaches the class view through the lab page's link, ahead of the browser's", async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, locale: 'de-DE' });
    const lab = await context.newPage();
    // The LTI launch redirects to /lab/<lab>?lang=<launch locale> (src/http/routes/lti.ts).
    await lab.goto(`${base}/lab/shell?lang=fr_CA#session=${await instructorSession()}`);
    await lab.waitForSelector('#btn-class:not([hidden])');
    const [classPage] = await Promise.all([context.waitForEvent('page'), lab.click('#btn-class')]);
    await classPage.waitForSelector('#roster tbody tr');
    assert.equal(await classPage.getAttribute('html', 'lang'), 'fr');
    assert.equal(await classPage.innerText('h1'), 'Vue de la classe');
    await context.close();

    // Without a launch language, the browser's.
    const german = await open('', 1200, 'de-DE');
    assert.equal(await german.getAttribute('html', 'lang'), 'de');
    await german.context().close();
  });
});
