/**
 * An instructor watching a learner's desktop on the real desktop lab (labs/desktop: Xvnc, Openbox and
 * an xterm in an LXC container of the local runtime), through the gateway's desktop-shadow socket. The
 * learner and the instructor are hand-made RFB clients, so what reaches the desktop is exactly what each
 * sent: the watcher gets the learner's screen; its keys and clicks are dropped until take-over, then
 * run commands in the learner's terminal; giving back releases a key it still held, so the learner's
 * typing is not changed by it; and the learner's status poll says who is watching.
 * Then in Chromium: the class view shows the learner's desktop in noVNC, and the learner's page says
 * an instructor is watching it (issue 17: the learner's page no longer changes the desktop's layout
 * over and over, which made Xvnc drop the watcher while it connected).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { issueSession } from '../../src/http/session.ts';
import { loadLabs } from '../../src/labs/load-labs.ts';
import { RfbClient } from '../gateway/support/rfb-client.ts';
import { sshExec, type SshTarget } from '../lxc/ssh.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { e2eBlocker, e2eWorld, REPO, type E2eWorld } from './support/e2e-world.ts';

const blocker = await e2eBlocker(['desktop']);
/** A point inside the desktop's terminal window (labs/desktop starts xterm 90x25 at +60+60). */
const TERMINAL_X = 200;
const TERMINAL_Y = 200;
/** The terminal window and its shell run, and so does the window manager. */
const SHELL_UP = 'x=$(pgrep -u training -x xterm | head -1) && [ -n "$x" ] && pgrep -P "$x" >/dev/null && pgrep -x openbox >/dev/null';
const CONTROL_L = 0xffe3;

describe('watching a learner\'s desktop (local LXC runtime, desktop image)', { skip: skipUnless(blocker === null, blocker ?? '') }, () => {
  let world: E2eWorld;
  let learner: string;
  let teacher: string;
  let stackId: string;
  let ssh: SshTarget;

  const call = async <T>(session: string, method: 'GET' | 'POST', path: string): Promise<T> => {
    const response = await fetch(world.base + path, { method, headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(response.status, 200, `${method} ${path}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const exists = async (file: string) => (await sshExec(ssh, `test -e ${file}`)).code === 0;
  const waitForFile = (file: string, timeoutMs = 15_000) => eventually(async () => ((await exists(file)) ? true : undefined), timeoutMs, `${file} on the desktop server`);
  const desktopWatch = async () => (await call<{ desktopWatch: { watchers: number; takenOver: boolean } | null }>(learner, 'GET', `/api/v1/me/stacks/${stackId}`)).desktopWatch;

  before(async () => {
    const loaded = loadLabs(join(REPO, 'labs'), { defaultProviders: ['local'] });
    const desktop = loaded.labs.get('desktop');
    assert.ok(desktop, `labs/desktop loads: ${JSON.stringify(loaded.errors)}`);
    world = await e2eWorld([desktop]);
    const keys = world.runtime.ctx.keys;
    learner = await issueSession(keys, { learner: 'linus', context: 'e2e-course', roles: ['Learner'], displayName: 'Linus' }, 3600);
    teacher = await issueSession(keys, { learner: 'teacher', context: 'e2e-course', roles: ['Instructor', 'Learner'], displayName: 'Tess Teacher' }, 3600);
    ({ id: stackId } = await call<{ id: string }>(learner, 'POST', '/api/v1/me/labs/desktop/launch'));
    const stack = await world.runtime.ctx.stacks.waitForState(stackId, ['READY'], 100_000);
    ssh = { host: stack.publicIp!, username: 'training', privateKey: (await world.runtime.ctx.stacks.secrets(stackId)).privateKey! };
    await eventually(async () => ((await sshExec(ssh, SHELL_UP)).code === 0 ? true : undefined), 90_000, 'xterm with a shell and openbox on the desktop');
  });
  after(async () => world?.close());

  test('the watcher sees the learner\'s desktop; its keys reach the terminal only during a take-over, and giving back lets go of a held key', async () => {
    const url = (kind: string) => `${world.base.replace('http', 'ws')}/gateway/stacks/${stackId}/${kind}`;
    const own = async () => (await call<{ protocols: string[] }>(learner, 'POST', `/api/v1/me/stacks/${stackId}/connections`)).protocols;
    const shadow = async () => (await call<{ protocols: string[] }>(teacher, 'POST', `/api/v1/class/stacks/${stackId}/shadow`)).protocols;
    await sshExec(ssh, 'rm -f /tmp/proof-*');

    // The learner focuses the terminal and types into it (retried while the window manager settles).
    const { client: mine } = await RfbClient.connect(url('vnc'), own);
    let typed = false;
    for (let attempt = 0; attempt < 4 && !typed; attempt++) {
      mine.click(TERMINAL_X, TERMINAL_Y);
      // The window manager moves the focus on the click in its own time; keys sent at once could miss it.
      await new Promise((r) => setTimeout(r, 500));
      mine.type('touch /tmp/proof-learner\r');
      typed = await waitForFile('/tmp/proof-learner', 10_000).catch(() => false);
    }
    assert.ok(typed, 'the learner types into the desktop terminal');

    // The instructor watches: the same screen (the terminal window, not the background, where it is).
    const { client: watcher, init } = await RfbClient.connect(url('desktop-shadow'), shadow);
    assert.deepEqual(await watcher.pixel(TERMINAL_X, TERMINAL_Y), await mine.pixel(TERMINAL_X, TERMINAL_Y), 'the watcher sees what the learner sees');
    assert.deepEqual(await desktopWatch(), { watchers: 1, takenOver: false }, 'the learner\'s status poll says an instructor watches');

    // Watching: keys and a click are sent, then an update request answered after them, so the desktop has
    // had all of it. The learner's next command runs alone on a clean line.
    watcher.click(TERMINAL_X, TERMINAL_Y);
    watcher.type('touch /tmp/proof-watching\r');
    assert.equal(await watcher.updateOnePixel(init.bytesPerPixel), 0);
    mine.type('touch /tmp/proof-learner-2\r');
    await waitForFile('/tmp/proof-learner-2');
    assert.equal(await exists('/tmp/proof-watching'), false, 'keys of a watcher must not reach the desktop');

    // Take-over: the instructor's keys run in the learner's terminal.
    watcher.control({ type: 'takeover' });
    await watcher.controlMatching((c) => c.type === 'mode' && c.mode === 'takeover');
    assert.deepEqual(await desktopWatch(), { watchers: 1, takenOver: true }, 'the learner is told of the take-over');
    watcher.type('touch /tmp/proof-takeover\r');
    await waitForFile('/tmp/proof-takeover');

    // Giving back while holding Ctrl: the gateway releases it, so the learner's keys are plain keys again
    // (with Ctrl still down, "touch" would reach the shell as control characters and make no file).
    watcher.key(CONTROL_L, true);
    assert.equal(await watcher.updateOnePixel(init.bytesPerPixel), 0);
    watcher.control({ type: 'release' });
    await watcher.controlMatching((c) => c.type === 'mode' && c.mode === 'watch');
    watcher.type('touch /tmp/proof-given-back\r');
    assert.equal(await watcher.updateOnePixel(init.bytesPerPixel), 0);
    mine.type('touch /tmp/proof-learner-3\r');
    await waitForFile('/tmp/proof-learner-3');
    assert.equal(await exists('/tmp/proof-given-back'), false, 'after giving back the watcher\'s keys are dropped again');
    assert.deepEqual(await desktopWatch(), { watchers: 1, takenOver: false });

    watcher.close();
    mine.close();
    await eventually(async () => ((await desktopWatch()) === null ? true : undefined), 10_000, 'the learner told nobody watches any more');
    const history = (await world.runtime.ctx.stacks.events(stackId)).filter((e) => e.kind === 'staff_action').map((e) => `${e.actor} ${e.reason}`);
    assert.deepEqual(history.slice(-4), [
      "instructor:teacher started watching the learner's desktop",
      "instructor:teacher took over the learner's desktop",
      "instructor:teacher gave the learner's desktop back",
      "instructor:teacher stopped watching the learner's desktop",
    ]);
  });

  test('Chromium: the class view shows the learner\'s desktop, and the learner\'s page says an instructor is watching it', async () => {
    const learnerPage = await world.browser.newPage({ viewport: { width: 1100, height: 700 } });
    await learnerPage.goto(`${world.base}/lab/desktop#session=${learner}`);
    await learnerPage.waitForSelector('#desktop canvas', { timeout: 60_000 });
    // The learner's page gets a desktop exactly the size of its screen element, so noVNC asks for it once.
    // With a fractional element size it asked again every 100 ms, and each of those screen-layout changes
    // made Xvnc drop a watcher that was still connecting.
    await learnerPage.waitForFunction(() => {
      const canvas = document.querySelector('#desktop canvas') as HTMLCanvasElement | null;
      const box = canvas?.parentElement?.getBoundingClientRect();
      return !!box && box.width === canvas!.width && box.height === canvas!.height;
    }, undefined, { timeout: 15_000 });
    const classPage = await world.browser.newPage({ viewport: { width: 1200, height: 900 } });
    await classPage.goto(`${world.base}/class#session=${teacher}`);
    await classPage.click(`#roster tbody tr[data-stack="${stackId}"] button.watch`);
    await classPage.waitForSelector('#shadow-panel[data-screen="desktop"]:not([hidden]) #shadow-desktop canvas', { timeout: 30_000 });
    assert.equal(await classPage.isVisible('#shadow-terminal'), false, 'no terminal for a desktop');
    // The watcher's canvas shows the learner's screen: more than one colour (background and terminal window).
    await classPage.waitForFunction(() => {
      const canvas = document.querySelector('#shadow-desktop canvas') as HTMLCanvasElement | null;
      if (!canvas?.width) return false;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length && seen.size < 3; i += 4 * 97) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size > 2;
    }, undefined, { timeout: 30_000 });
    assert.match(await classPage.innerText('#shadow-status'), /Watching the learner's desktop/);
    // The learner's page hears of it at its next status poll.
    await learnerPage.waitForSelector('#watch-notice:not([hidden])', { timeout: 15_000 });
    assert.match(await learnerPage.innerText('#watch-notice'), /An instructor is watching your desktop/);
    await world.screenshot(classPage, 'class-view-desktop-shadow');

    await classPage.click('#btn-takeover');
    await classPage.waitForSelector('#shadow-mode[data-mode="takeover"]');
    assert.match(await classPage.innerText('#shadow-mode'), /using the learner's desktop/);
    await learnerPage.waitForFunction(() => /taken over your desktop/.test(document.querySelector('#watch-notice')?.textContent ?? ''), undefined, { timeout: 15_000 });
    await classPage.click('#btn-release');
    await classPage.waitForSelector('#shadow-mode[data-mode="watch"]');
    await classPage.click('#btn-shadow-close');
    await learnerPage.waitForSelector('#watch-notice', { state: 'hidden', timeout: 15_000 });
    await classPage.close();
    await learnerPage.close();
  });
});
