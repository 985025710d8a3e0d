/**
 * Copy and paste in the terminal, in real Firefox (Debian's firefox-esr over WebDriver BiDi): the same
 * flows as the Chromium test. The learner pastes with Ctrl+Shift+V and copies a selection with
 * Ctrl+Shift+C, on the lab page and in a course page's frame that grants no clipboard permission; the clipboard is filled and read through another tab's text field with the browser's own
 * Ctrl+C / Ctrl+V, so Firefox's clipboard rules for web pages stay as real users have them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'puppeteer-core';
import { skipUnless } from '../support/prerequisite.ts';
import { gatewayWorld, sshLab, type GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { courseFrame } from './support/course-frame.ts';
import { framedTerminal, rowStartPoint, typeLine, waitForTerminal } from './support/e2e-world.ts';
import { FIREFOX, HAVE_FIREFOX, launchFirefox, pressChord, ScratchTab } from './support/firefox.ts';

describe('terminal copy and paste (Firefox)', { skip: skipUnless(HAVE_SSHD && HAVE_FIREFOX, `needs sshd and Firefox at ${FIREFOX} (apt-get install firefox-esr)`) }, () => {
  let world: GatewayWorld;
  let browser: Browser;

  before(async () => {
    world = await gatewayWorld((sshd) => [sshLab(sshd, { terminal: { font: 'monospace', fontSize: 16, colorScheme: 'solarized-light' } })]);
    browser = await launchFirefox();
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('paste with Ctrl+Shift+V and copy with Ctrl+Shift+C', async () => {
    const session = await world.session('eve');
    await world.launch(session, 'shell');
    const context = await browser.createBrowserContext();
    const elsewhere = await ScratchTab.open(context);
    const page = await context.newPage();
    await page.setViewport({ width: 1000, height: 700 });
    await page.goto(`${world.base}/lab/shell#session=${session}`);
    await page.waitForSelector('#overlay', { hidden: true, timeout: 30_000 });
    assert.equal(new URL(page.url()).hash, '', 'the session leaves the address bar');
    const style = await page.evaluate(() => getComputedStyle(document.querySelector('#terminal .xterm-rows')!).fontSize);
    assert.equal(style, '16px');

    await elsewhere.copy('echo "pasted-$((5+5))"');
    await page.bringToFront();
    await page.click('#terminal .xterm');
    await pressChord(page, 'Control+Shift+V');
    await page.keyboard.press('Enter');
    await waitForTerminal(page, /^pasted-10\s*$/m);

    await typeLine(page, 'echo copy-me-$((7*6))');
    await waitForTerminal(page, /^copy-me-42\s*$/m);
    // Select the output line by double-clicking the word, then copy.
    const where = await rowStartPoint(page, 'copy-me-42');
    await page.mouse.click(where.x, where.y, { count: 2 });
    await pressChord(page, 'Control+Shift+C');
    // The clipboard still holds the pasted command unless the page's copy replaced it.
    assert.match(await elsewhere.paste(), /^copy-me-42$/);
    await context.close();
  });

  test('in a course page\'s frame without clipboard permission, copy still works and the terminal keeps the keyboard', async () => {
    const session = await world.session('frank');
    await world.launch(session, 'shell');
    const course = await courseFrame(`${world.base}/lab/shell#session=${session}`);
    const context = await browser.createBrowserContext();
    try {
      const elsewhere = await ScratchTab.open(context);
      const page = await context.newPage();
      await page.setViewport({ width: 1000, height: 700 });
      await page.goto(course.url);
      const frame = await (await page.waitForSelector('iframe'))?.contentFrame();
      assert.ok(frame, 'the course page frames the lab');
      await frame.waitForSelector('#overlay', { hidden: true, timeout: 30_000 });
      const terminal = framedTerminal(frame, page.keyboard);

      await elsewhere.copy('echo "framed-$((4+4))"');
      await page.bringToFront();
      await frame.click('#terminal .xterm');
      await pressChord(page, 'Control+Shift+V');
      await page.keyboard.press('Enter');
      await waitForTerminal(terminal, /^framed-8\s*$/m);

      await typeLine(terminal, 'echo copy-me-$((7*6))');
      await waitForTerminal(terminal, /^copy-me-42\s*$/m);
      const where = await rowStartPoint(terminal, 'copy-me-42');
      await page.mouse.click(where.x, where.y, { count: 2 });
      await pressChord(page, 'Control+Shift+C');
      // No click in between: the next keystrokes still reach the shell.
      await page.keyboard.type('echo still-here-$((2+3))', { delay: 5 });
      await page.keyboard.press('Enter');
      await waitForTerminal(terminal, /^still-here-5\s*$/m);
      assert.equal(await elsewhere.paste(), 'copy-me-42');
    } finally {
      await context.close();
      await course.close();
    }
  });
});
