/**
 * An instructor watching a learner's RDP desktop in real Chromium, with a SCRIPTED GUACD PEER behind the
 * gateway instead of a real guacd (guacd is not packaged in Debian; RDP watching is tested against this
 * peer only). The learner's lab page opens the desktop; the class view joins it through the gateway and
 * draws the peer's screen; the instructor's keys reach guacd only on the writable join a take-over makes;
 * the learner's page says an instructor is watching, then typing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { issueSession } from '../../src/http/session.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { gatewayWorld, sshLab, type GatewayWorld } from '../gateway/support/gateway-world.ts';
import { HAVE_SSHD } from '../gateway/support/local-sshd.ts';
import { ScriptedGuacd } from '../gateway/support/scripted-guacd.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/e2e-world.ts';

describe('watching an RDP desktop in the class view (Chromium, scripted guacd peer)', { skip: skipUnless(HAVE_SSHD && existsSync(CHROMIUM), 'needs sshd and Chromium') }, () => {
  let world: GatewayWorld;
  let guacd: ScriptedGuacd;
  let browser: Browser;

  before(async () => {
    guacd = await ScriptedGuacd.start();
    world = await gatewayWorld((sshd) => [sshLab(sshd, { id: 'windows', title: 'Windows desktop', protocol: 'rdp', port: 3389 })], { guacd_url: guacd.url }, { password: 'rdp-shadow-e2e-Pa55word' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await world?.close();
    await guacd?.close();
  });

  test("the class view draws the learner's desktop; keys reach it only after a take-over; the learner is told", async () => {
    const learner = await world.session('wanda');
    const teacher = await issueSession(world.runtime.ctx.keys, { learner: 'teacher', context: 'course-1', roles: ['Instructor', 'Learner'] }, 600);
    const stackId = await world.launch(learner, 'windows');
    const learnerPage = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    const ownerNext = guacd.nextConnection();
    await learnerPage.goto(`${world.base}/lab/windows#session=${learner}`);
    const owner = await ownerNext;
    await learnerPage.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });

    const classPage = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await classPage.goto(`${world.base}/class#session=${teacher}`);
    const joinNext = guacd.nextConnection();
    await classPage.click(`#roster tbody tr[data-stack="${stackId}"] button.watch`);
    const join = await joinNext;
    await join.waitFor((i) => i.opcode === 'connect');
    assert.equal(join.id, owner.id, "the class view joins the learner's own connection");
    assert.equal(join.params['read-only'], 'true');
    await classPage.waitForSelector('#shadow-panel[data-screen="desktop"]:not([hidden]) #shadow-desktop canvas', { timeout: 30_000 });
    // The peer's screen (blue, with an orange square) in the watcher's canvas.
    await classPage.waitForFunction(() => {
      const canvases = [...document.querySelectorAll<HTMLCanvasElement>('#shadow-desktop canvas')];
      const canvas = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
      if (!canvas?.width) return false;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let blue = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 60 && data[i + 2] > 180) blue++;
      return blue / (data.length / 4) > 0.5;
    }, undefined, { timeout: 20_000 });
    assert.match(await classPage.innerText('#shadow-status'), /Watching the learner's desktop/);
    await learnerPage.waitForSelector('#watch-notice:not([hidden])', { timeout: 15_000 });
    assert.match(await learnerPage.innerText('#watch-notice'), /An instructor is watching your desktop/);

    // Watching: keys typed into the view never reach guacd.
    await classPage.click('#shadow-desktop');
    await classPage.keyboard.type('no');
    const writableNext = guacd.nextConnection();
    await classPage.click('#btn-takeover');
    const writable = await writableNext;
    await writable.waitFor((i) => i.opcode === 'connect');
    await classPage.waitForSelector('#shadow-mode[data-mode="takeover"]');
    assert.equal(writable.params['read-only'], '', 'the take-over joins writable');
    assert.ok(!join.relayed().some((i) => i.opcode === 'key'), "the watcher's keys stopped before guacd");
    await learnerPage.waitForFunction(() => /taken over your desktop/.test(document.querySelector('#watch-notice')?.textContent ?? ''), undefined, { timeout: 15_000 });

    await classPage.click('#shadow-desktop');
    await classPage.keyboard.press('x');
    await writable.waitFor((i) => i.opcode === 'key' && i.args[0] === String('x'.charCodeAt(0)) && i.args[1] === '1');

    await classPage.click('#btn-release');
    await classPage.waitForSelector('#shadow-mode[data-mode="watch"]');
    await writable.waitFor((i) => i.opcode === 'disconnect');
    await classPage.click('#btn-shadow-close');
    await learnerPage.waitForSelector('#watch-notice', { state: 'hidden', timeout: 15_000 });
    await classPage.close();
    await learnerPage.close();
  });
});
