/**
 * Copy and paste in the terminal, in real Chromium: the learner pastes with Ctrl+Shift+V and copies a
 * selection with Ctrl+Shift+C, on the lab page and in a course page's frame that grants no clipboard
 * permission. The browser side is what matters here, so the lab is a real sshd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { skipUnless } from '../support/prerequisite.ts';
import { gatewayWorld, sshLab, type GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { courseFrame } from './support/course-frame.ts';
import { CHROMIUM, CHROMIUM_ARGS, framedTerminal, rowStartPoint, typeLine, waitForTerminal } from './support/e2e-world.ts';

describe('terminal copy and paste (Chromium)', { skip: skipUnless(HAVE_SSHD && existsSync(CHROMIUM), 'needs sshd and Chromium') }, () => {
  let world: GatewayWorld;
  let browser: Browser;

  before(async () => {
    world = await gatewayWorld((sshd) => [sshLab(sshd, { terminal: { font: 'monospace', fontSize: 16, colorScheme: 'solarized-light' } })]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await world?.close();
  });

  test('paste with Ctrl+Shift+V and copy with Ctrl+Shift+C', async () => {
    const session = await world.session('eve');
    await world.launch(session, 'shell');
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.base });
    const page = await context.newPage();
    await page.goto(`${world.base}/lab/shell#session=${session}`);
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
    assert.equal(new URL(page.url()).hash, '', 'the session leaves the address bar');
    // The lab's terminal settings are applied.
    const style = await page.evaluate(() => getComputedStyle(document.querySelector('#terminal .xterm-rows')!).fontSize);
    assert.equal(style, '16px');

    await page.evaluate(() => navigator.clipboard.writeText('echo "pasted-$((5+5))"'));
    await page.click('#terminal .xterm');
    await page.keyboard.press('Control+Shift+V');
    await page.keyboard.press('Enter');
    await waitForTerminal(page, /^pasted-10\s*$/m);

    await typeLine(page, 'echo copy-me-$((7*6))');
    await waitForTerminal(page, /^copy-me-42\s*$/m);
    // Select the output line by double-clicking the word, then copy.
    const where = await rowStartPoint(page, 'copy-me-42');
    await page.mouse.dblclick(where.x, where.y);
    await page.keyboard.press('Control+Shift+C');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /copy-me-42/);
    await context.close();
  });

  test('in a course page\'s frame without clipboard permission, copy still works and the terminal keeps the keyboard', async () => {
    const session = await world.session('frank');
    await world.launch(session, 'shell');
    const course = await courseFrame(`${world.base}/lab/shell#session=${session}`);
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    // The course page may use the clipboard API (the test fills and reads the clipboard there); its frame may not.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(course.url).origin });
    try {
      const page = await context.newPage();
      await page.goto(course.url);
      const frame = await (await page.waitForSelector('iframe'))?.contentFrame();
      assert.ok(frame, 'the course page frames the lab');
      await frame.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
      const terminal = framedTerminal(frame, page.keyboard);

      await page.evaluate(() => navigator.clipboard.writeText('echo "framed-$((4+4))"'));
      await frame.click('#terminal .xterm');
      await page.keyboard.press('Control+Shift+V');
      await page.keyboard.press('Enter');
      await waitForTerminal(terminal, /^framed-8\s*$/m);

      await typeLine(terminal, 'echo copy-me-$((7*6))');
      await waitForTerminal(terminal, /^copy-me-42\s*$/m);
      const where = await rowStartPoint(terminal, 'copy-me-42');
      await page.mouse.dblclick(where.x, where.y);
      await page.keyboard.press('Control+Shift+C');
      // No click in between: the next keystrokes still reach the shell.
      await page.keyboard.type('echo still-here-$((2+3))', { delay: 5 });
      await page.keyboard.press('Enter');
      await waitForTerminal(terminal, /^still-here-5\s*$/m);
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'copy-me-42');
    } finally {
      await context.close();
      await course.close();
    }
  });
});
