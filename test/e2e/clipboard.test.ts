/**
 * Copy and paste in the terminal, in real Chromium: the learner pastes with Ctrl+Shift+V and copies a
 * selection with Ctrl+Shift+C. The browser side is what matters here, so the lab is a real sshd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { skipUnless } from '../support/prerequisite.ts';
import { gatewayWorld, sshLab, type GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { CHROMIUM, CHROMIUM_ARGS, typeLine, waitForTerminal } from './support/e2e-world.ts';

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
    const where = await page.evaluate(() => {
      const rows = [...document.querySelectorAll('#terminal .xterm-rows > div')];
      const row = rows.filter((r) => (r.textContent ?? '').trim().startsWith('copy-me-42')).pop();
      const box = row?.getBoundingClientRect();
      return box ? { x: box.left + 20, y: box.top + box.height / 2 } : null;
    });
    assert.ok(where, 'the output row is on screen');
    await page.mouse.dblclick(where.x, where.y);
    await page.keyboard.press('Control+Shift+C');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /copy-me-42/);
    await context.close();
  });
});
