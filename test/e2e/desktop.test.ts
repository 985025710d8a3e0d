/**
 * The VNC sample lab (labs/desktop) in real Chromium on the local LXC runtime: the page connects noVNC
 * through the gateway and shows the lab's desktop, which must differ from a blank canvas.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadLabs } from '../../src/labs/load-labs.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { e2eBlocker, e2eWorld, REPO, type E2eWorld } from './support/e2e-world.ts';

const blocker = await e2eBlocker(['desktop']);

describe('desktop lab page (Chromium, local LXC runtime)', { skip: skipUnless(blocker === null, blocker ?? '') }, () => {
  let world: E2eWorld;

  before(async () => {
    const loaded = loadLabs(join(REPO, 'labs'), { defaultProviders: ['local'] });
    const desktop = loaded.labs.get('desktop');
    assert.ok(desktop, `labs/desktop loads: ${JSON.stringify(loaded.errors)}`);
    world = await e2eWorld([desktop]);
  });
  after(async () => world?.close());

  test('the desktop appears, and it is not a blank canvas', async () => {
    const page = await world.openLab('linus', 'desktop');
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 180_000 });
    await page.waitForSelector('#desktop canvas', { timeout: 30_000 });
    // Compare the remote screen with a blank canvas of the same size, pixel by pixel.
    const differing = async () =>
      page.evaluate(() => {
        const canvas = document.querySelector('#desktop canvas') as HTMLCanvasElement;
        const { width, height } = canvas;
        if (!width || !height) return 0;
        const screen = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
        const blank = document.createElement('canvas');
        blank.width = width;
        blank.height = height;
        const empty = blank.getContext('2d')!.getImageData(0, 0, width, height).data;
        let differ = 0;
        for (let i = 0; i < screen.length; i += 4) {
          if (screen[i] !== empty[i] || screen[i + 1] !== empty[i + 1] || screen[i + 2] !== empty[i + 2] || screen[i + 3] !== empty[i + 3]) differ++;
        }
        return differ / (width * height);
      });
    // The desktop has more than one colour: the background and the terminal window on it.
    const colourCount = () =>
      page.evaluate(() => {
        const canvas = document.querySelector('#desktop canvas') as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set<number>();
        for (let i = 0; i < data.length && seen.size < 50; i += 4 * 97) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        return seen.size;
      });
    // The background is painted before the window manager maps the terminal: wait for both.
    const deadline = Date.now() + 60_000;
    let fraction = 0;
    let colours = 0;
    while (Date.now() < deadline && ((fraction = await differing()) < 0.5 || (colours = await colourCount()) <= 2)) await page.waitForTimeout(500);
    assert.ok(fraction >= 0.5, `most of the canvas shows the desktop (differs from blank on ${(fraction * 100).toFixed(1)}%)`);
    if (colours <= 2) await page.screenshot({ path: '/tmp/stacklab-desktop-failure.png' });
    assert.ok(colours > 2, `the desktop shows more than a flat colour (${colours} colours sampled; screenshot in /tmp/stacklab-desktop-failure.png)`);
    await world.screenshot(page, 'lab-page-desktop');
    await page.close();
  });
});
