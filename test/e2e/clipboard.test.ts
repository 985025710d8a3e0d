/**
 * Copy and paste in the terminal, in real Chromium: the learner pastes with Ctrl+Shift+V and copies a
 * selection with Ctrl+Shift+C, on the lab page and in a course page's frame that grants no clipboard
 * permission. The browser side is what matters here, so the lab is a real sshd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { skipUnless } from '../support/prerequisite.ts';
import type { GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { checkLabPage, launchShell, pasteAndRun, runAndCopy, shellWorld, type ClipboardDriver } from './support/clipboard-steps.ts';
import { courseFrame, type CourseFrame } from './support/course-frame.ts';
import { CHROMIUM, CHROMIUM_ARGS, framedTerminal, waitForTerminal, type TerminalPage } from './support/e2e-world.ts';

/** `page` is the tab, which holds the clipboard permission; `terminal` is on it or in its frame. */
function inChromium(page: Page, terminal: TerminalPage): ClipboardDriver {
  return {
    terminal,
    fillClipboard: (text) => page.evaluate((value) => navigator.clipboard.writeText(value), text),
    readClipboard: () => page.evaluate(() => navigator.clipboard.readText()),
    press: (chord) => page.keyboard.press(chord),
    doubleClick: (x, y) => page.mouse.dblclick(x, y),
  };
}

describe('terminal copy and paste (Chromium)', { skip: skipUnless(HAVE_SSHD && existsSync(CHROMIUM), 'needs sshd and Chromium') }, () => {
  let world: GatewayWorld;
  let course: CourseFrame;
  let browser: Browser;

  before(async () => {
    course = await courseFrame();
    world = await shellWorld(course.origin);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await world?.close();
    await course?.close();
  });

  test('paste with Ctrl+Shift+V and copy with Ctrl+Shift+C', async () => {
    const labUrl = await launchShell(world, 'eve');
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.base });
    const page = await context.newPage();
    await page.goto(labUrl);
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
    await checkLabPage(page);
    const lab = inChromium(page, page);

    await pasteAndRun(lab, 'echo "pasted-$((5+5))"', 'pasted-10');
    await runAndCopy(lab, 'echo copy-me-$((7*6))', 'copy-me-42');
    assert.match(await lab.readClipboard(), /copy-me-42/);
    await context.close();
  });

  test('in a course page\'s frame without clipboard permission, copy still works and the terminal keeps the keyboard', async () => {
    const courseUrl = course.show(await launchShell(world, 'frank'));
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    // The course page may use the clipboard API (the test fills and reads the clipboard there); its frame may not.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(courseUrl).origin });
    try {
      const page = await context.newPage();
      await page.goto(courseUrl);
      const frame = await (await page.waitForSelector('iframe'))?.contentFrame();
      assert.ok(frame, 'the course page frames the lab');
      await frame.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
      const terminal = framedTerminal(frame, page.keyboard);
      const lab = inChromium(page, terminal);

      await pasteAndRun(lab, 'echo "framed-$((4+4))"', 'framed-8');
      await runAndCopy(lab, 'echo copy-me-$((7*6))', 'copy-me-42');
      // No click in between: the next keystrokes still reach the shell.
      await page.keyboard.type('echo still-here-$((2+3))', { delay: 5 });
      await page.keyboard.press('Enter');
      await waitForTerminal(terminal, /^still-here-5\s*$/m);
      assert.equal(await lab.readClipboard(), 'copy-me-42');
    } finally {
      await context.close();
    }
  });
});
