/**
 * Copy and paste in the terminal, in real Firefox (Debian's firefox-esr over WebDriver BiDi): the same
 * flows as the Chromium test. The learner pastes with Ctrl+Shift+V and copies a selection with
 * Ctrl+Shift+C, on the lab page and in a course page's frame that grants no clipboard permission. The
 * clipboard is filled and read through another tab's text field with the browser's own Ctrl+C / Ctrl+V,
 * so Firefox's clipboard rules for web pages stay as real users have them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'puppeteer-core';
import { skipUnless } from '../support/prerequisite.ts';
import type { GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { checkLabPage, launchShell, pasteAndRun, runAndCopy, shellWorld, type ClipboardDriver } from './support/clipboard-steps.ts';
import { courseFrame, type CourseFrame } from './support/course-frame.ts';
import { framedTerminal, waitForTerminal, type TerminalPage } from './support/e2e-world.ts';
import { FIREFOX, HAVE_FIREFOX, launchFirefox, pressChord, ScratchTab } from './support/firefox.ts';

/** `page` is the lab's tab (the lab page or the course page); `terminal` is on it or in its frame. */
function inFirefox(page: Page, terminal: TerminalPage, elsewhere: ScratchTab): ClipboardDriver {
  return {
    terminal,
    async fillClipboard(text) {
      await elsewhere.copy(text);
      await page.bringToFront();
    },
    readClipboard: () => elsewhere.paste(),
    press: (chord) => pressChord(page, chord),
    doubleClick: (x, y) => page.mouse.click(x, y, { count: 2 }),
  };
}

describe('terminal copy and paste (Firefox)', { skip: skipUnless(HAVE_SSHD && HAVE_FIREFOX, `needs sshd and Firefox at ${FIREFOX} (apt-get install firefox-esr)`) }, () => {
  let world: GatewayWorld;
  let course: CourseFrame;
  let browser: Browser;

  before(async () => {
    course = await courseFrame();
    world = await shellWorld(course.origin);
    browser = await launchFirefox();
  });
  after(async () => {
    await browser?.close();
    await world?.close();
    await course?.close();
  });

  test('paste with Ctrl+Shift+V and copy with Ctrl+Shift+C', async () => {
    const labUrl = await launchShell(world, 'eve');
    const context = await browser.createBrowserContext();
    const elsewhere = await ScratchTab.open(context);
    const page = await context.newPage();
    await page.setViewport({ width: 1000, height: 700 });
    await page.goto(labUrl);
    await page.waitForSelector('#overlay', { hidden: true, timeout: 30_000 });
    await checkLabPage(page);
    const lab = inFirefox(page, page, elsewhere);

    await pasteAndRun(lab, 'echo "pasted-$((5+5))"', 'pasted-10');
    await runAndCopy(lab, 'echo copy-me-$((7*6))', 'copy-me-42');
    // The clipboard still holds the pasted command unless the page's copy replaced it.
    assert.match(await lab.readClipboard(), /^copy-me-42$/);
    await context.close();
  });

  test('in a course page\'s frame without clipboard permission, copy still works and the terminal keeps the keyboard', async () => {
    const courseUrl = course.show(await launchShell(world, 'frank'));
    const context = await browser.createBrowserContext();
    try {
      const elsewhere = await ScratchTab.open(context);
      const page = await context.newPage();
      await page.setViewport({ width: 1000, height: 700 });
      await page.goto(courseUrl);
      const frame = await (await page.waitForSelector('iframe'))?.contentFrame();
      assert.ok(frame, 'the course page frames the lab');
      await frame.waitForSelector('#overlay', { hidden: true, timeout: 30_000 });
      const terminal = framedTerminal(frame, page.keyboard);
      const lab = inFirefox(page, terminal, elsewhere);

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
