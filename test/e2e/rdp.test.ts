/**
 * An RDP lab page in real Chromium, with a SCRIPTED GUACD PEER behind the gateway instead of a real
 * guacd (guacd is not packaged in Debian, so no real guacd runs in CI): the peer draws a blue screen
 * with an orange square, and records the keys, clicks and sizes the page sends. Without guacd_url the
 * page says that RDP is unavailable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { skipUnless } from '../support/prerequisite.ts';
import { settle } from '../support/test-runtime.ts';
import { gatewayWorld, sshLab, type GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { ScriptedGuacd, type GuacdConnection } from '../gateway/support/scripted-guacd.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';

const PASSWORD = 'rdp-e2e-Pa55word';

/** Share of the largest canvas in the panel that shows each of the peer's two colours. */
function drawnColours(page: Page): Promise<{ blue: number; orange: number; width: number }> {
  return page.evaluate(() => {
    const canvases = [...document.querySelectorAll<HTMLCanvasElement>('#desktop canvas')];
    const canvas = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
    if (!canvas || !canvas.width) return { blue: 0, orange: 0, width: 0 };
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let blue = 0;
    let orange = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] === 20 && data[i + 1] === 60 && data[i + 2] === 200) blue++;
      if (data[i] === 250 && data[i + 1] === 140 && data[i + 2] === 20) orange++;
    }
    const pixels = canvas.width * canvas.height;
    return { blue: blue / pixels, orange: orange / pixels, width: canvas.width };
  });
}

async function waitForDrawing(page: Page): Promise<void> {
  const deadline = Date.now() + 20_000;
  let colours = { blue: 0, orange: 0, width: 0 };
  while (Date.now() < deadline) {
    colours = await drawnColours(page);
    if (colours.blue > 0.5 && colours.orange > 0.05) return;
    await page.waitForTimeout(200);
  }
  assert.fail(`the canvas does not show the peer's drawing: ${JSON.stringify(colours)}`);
}

/** A lab page with what its websockets received (`frames`) and sent. */
interface OpenedLab {
  page: Page;
  frames: string[];
  sent: string[];
  stackId: string;
}

const panelSize = (page: Page) => page.evaluate(() => ({ width: document.getElementById('desktop')!.clientWidth - 8, height: document.getElementById('desktop')!.clientHeight - 8 }));

describe('RDP lab page (Chromium, scripted guacd peer)', { skip: skipUnless(HAVE_SSHD && existsSync(CHROMIUM), 'needs sshd and Chromium') }, () => {
  let world: GatewayWorld;
  let guacd: ScriptedGuacd;
  let browser: Browser;

  before(async () => {
    guacd = await ScriptedGuacd.start();
    world = await gatewayWorld(
      (sshd) => [sshLab(sshd, { id: 'windows', title: 'Windows desktop', protocol: 'rdp', port: 3389 }), sshLab(sshd, { id: 'viewer', protocol: 'rdp', port: 3389, readOnly: true })],
      { guacd_url: guacd.url },
      { password: PASSWORD },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await world?.close();
    await guacd?.close();
  });

  async function open(learner: string, lab: string, lang?: string): Promise<OpenedLab> {
    const session = await world.session(learner);
    const stackId = await world.launch(session, lab);
    const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    const frames: string[] = [];
    const sent: string[] = [];
    page.on('websocket', (ws) => {
      ws.on('framereceived', (frame) => frames.push(String(frame.payload)));
      ws.on('framesent', (frame) => sent.push(String(frame.payload)));
    });
    await page.goto(`${world.base}/lab/${lab}${lang ? `?lang=${lang}` : ''}#session=${session}`);
    return { page, frames, sent, stackId };
  }

  /** `open`, then waits until guacd has the page's connection and the page has put its overlay away. */
  async function openConnected(learner: string, lab: string): Promise<OpenedLab & { peer: GuacdConnection }> {
    // Asked before the page exists: a connection made before the asking would never be reported.
    const next = guacd.nextConnection();
    const opened = await open(learner, lab);
    const peer = await next;
    await opened.page.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
    return { ...opened, peer };
  }

  test('the desktop appears in the canvas, scaled to the panel; keys, clicks and resizes reach guacd', async () => {
    const { page, frames, peer } = await openConnected('wendy', 'windows');
    await waitForDrawing(page);
    const panel = await panelSize(page);
    assert.deepEqual(peer.handshake('size')?.args.slice(0, 2), [String(panel.width), String(panel.height)], "the session is asked for the panel's size");
    assert.equal(peer.params.password, PASSWORD);
    assert.ok(!frames.join('').includes(PASSWORD) && !(await page.content()).includes(PASSWORD), 'the password never reaches the page');
    const box = await page.evaluate(() => {
      const shown = document.querySelector('#desktop > div')!.getBoundingClientRect();
      const panelBox = document.getElementById('desktop')!.getBoundingClientRect();
      return { shown: { x: shown.x, y: shown.y, width: shown.width, height: shown.height }, panel: { width: panelBox.width, height: panelBox.height } };
    });
    assert.ok(box.shown.width <= box.panel.width && box.shown.height <= box.panel.height, `the display fits the panel: ${JSON.stringify(box)}`);
    assert.ok(box.shown.width >= box.panel.width - 20 || box.shown.height >= box.panel.height - 20, `and fills it in one direction: ${JSON.stringify(box)}`);

    // A click in the middle of the shown display is the middle of the 640x480 remote screen.
    await page.mouse.click(box.shown.x + box.shown.width / 2, box.shown.y + box.shown.height / 2);
    const click = await peer.waitFor((i) => i.opcode === 'mouse' && i.args[2] === '1');
    assert.ok(Math.abs(Number(click.args[0]) - 320) <= 3 && Math.abs(Number(click.args[1]) - 240) <= 3, `click at ${click.args}`);
    await page.keyboard.press('a');
    await peer.waitFor((i) => i.opcode === 'key' && i.args[0] === '97' && i.args[1] === '1');
    await peer.waitFor((i) => i.opcode === 'key' && i.args[0] === '97' && i.args[1] === '0');

    await page.setViewportSize({ width: 900, height: 600 });
    const resized = await panelSize(page);
    await peer.waitFor((i) => i.opcode === 'size' && i.args[0] === String(resized.width) && i.args[1] === String(resized.height));
    await page.close();
  });

  test('read-only: the desktop shows, and no key or click reaches guacd', async () => {
    const { page, sent, peer } = await openConnected('vera', 'viewer');
    await waitForDrawing(page);
    assert.equal(peer.params['read-only'], 'true');
    await page.mouse.click(400, 400);
    await page.keyboard.type('hello');
    await page.waitForTimeout(1000);
    assert.deepEqual(
      peer.relayed().filter((i) => i.opcode === 'key' || i.opcode === 'mouse'),
      [],
    );
    assert.ok(!sent.some((frame) => /(^|;)(3\.key|5\.mouse),/.test(frame)), 'the page itself sends no input');
    await page.close();
  });

  test('after a suspend, coming back resumes the lab and the desktop reconnects by itself', async () => {
    const { page, stackId, peer: first } = await openConnected('sam', 'windows');
    await world.runtime.ctx.stacks.requestSuspend(stackId, 'test');
    await settle(world.runtime);
    await page.waitForSelector('#state-badge[data-phase="suspended"]', { timeout: 20_000 });
    for (let i = 0; i < 50 && !first.closed; i++) await page.waitForTimeout(100);
    assert.ok(first.closed, 'the desktop connection closes while the lab is suspended');

    const next = guacd.nextConnection(30_000);
    await page.mouse.move(300, 300);
    await page.mouse.click(300, 300);
    const deadline = Date.now() + 20_000;
    while ((await world.runtime.ctx.stacks.get(stackId)).state !== 'READY' && Date.now() < deadline) {
      await settle(world.runtime);
      await page.waitForTimeout(200);
    }
    assert.equal((await world.runtime.ctx.stacks.get(stackId)).state, 'READY', 'coming back resumes the lab');
    await next; // guacd saw a new connection: the page reconnected by itself
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
    await waitForDrawing(page);
    await page.close();
  });

  test("guacd reaching no RDP server (the lab's desktop still booting): the page says so and keeps retrying", async () => {
    guacd.behaviour = 'upstream-refused';
    try {
      const first = guacd.nextConnection();
      const { page } = await open('ursula', 'windows');
      await first;
      const second = guacd.nextConnection(30_000);
      await page.waitForFunction(() => /does not answer yet; it may still be starting/.test(document.getElementById('overlay')?.textContent ?? ''), undefined, { timeout: 20_000 });
      await second;
      assert.ok(await page.isHidden('#overlay-error'), 'not a final error');
      await page.close();
    } finally {
      guacd.behaviour = 'serve';
    }
  });

  test('guacd refusing: the page says so in plain words instead of a blank desktop', async () => {
    guacd.behaviour = 'refuse';
    try {
      const { page } = await open('rob', 'windows');
      await page.waitForSelector('#overlay-error:not([hidden])', { timeout: 30_000 });
      assert.match(await page.textContent('#overlay-error') ?? '', /remote desktop service \(guacd\) refused the connection; tell your course team/);
      await page.close();
      // The gateway sends the sentence's key: a German page says it in German, not in the gateway's English.
      const german = (await open('rob', 'windows', 'de')).page;
      await german.waitForSelector('#overlay-error:not([hidden])', { timeout: 30_000 });
      assert.equal((await german.textContent('#overlay-error'))?.trim(), translator('de')('screen.guacdRefused'));
      await german.close();
    } finally {
      guacd.behaviour = 'serve';
    }
  });
});

describe('RDP lab page without guacd (Chromium)', { skip: skipUnless(HAVE_SSHD && existsSync(CHROMIUM), 'needs sshd and Chromium') }, () => {
  test('the page says that RDP is unavailable', async () => {
    const world = await gatewayWorld((sshd) => [sshLab(sshd, { id: 'windows', protocol: 'rdp', port: 3389 })], {}, { password: PASSWORD });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${world.base}/lab/windows#session=${await world.session('nora')}`);
      await page.waitForSelector('#overlay-error:not([hidden])', { timeout: 30_000 });
      assert.match(await page.textContent('#overlay-error') ?? '', /Remote desktop \(RDP\) is unavailable on this server: no Guacamole daemon \(guacd\) is configured/);
      assert.equal(await page.locator('#desktop canvas').count(), 0);
    } finally {
      await browser.close();
      await world.close();
    }
  });
});
