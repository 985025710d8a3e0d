/**
 * The VNC sample lab (labs/desktop) in real Chromium on the local LXC runtime: the page connects noVNC
 * through the gateway and shows the lab's desktop, which must differ from a blank canvas. Then, on the
 * same stack, a hand-made RFB client types into the desktop's terminal: with a read-only token nothing
 * happens (the gateway drops the keys), with a writable one the command runs. Last, the desktop's VNC
 * server is killed and must come back by itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PROTOCOL, signConnectionToken, TOKEN_PROTOCOL_PREFIX } from '../../src/gateway/connection-token.ts';
import { loadLabs } from '../../src/labs/load-labs.ts';
import { RfbClient } from '../gateway/support/rfb-client.ts';
import { sshExec, type SshTarget } from '../lxc/ssh.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { e2eBlocker, e2eWorld, REPO, type E2eWorld } from './support/e2e-world.ts';

const blocker = await e2eBlocker(['desktop']);
/** A point inside the desktop's terminal window (labs/desktop starts xterm 90x25 at +60+60). */
const TERMINAL_X = 200;
const TERMINAL_Y = 200;

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
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 100_000 });
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
    if (colours <= 2) {
      await page.screenshot({ path: '/tmp/stacklab-desktop-failure.png' });
      const sizes = await page.evaluate(() => {
        const canvas = document.querySelector('#desktop canvas') as HTMLCanvasElement;
        const box = document.querySelector('#desktop')!.getBoundingClientRect();
        return `canvas ${canvas.width}x${canvas.height}, #desktop box ${box.width}x${box.height}`;
      });
      console.error(`# ${sizes}\n${await desktopProcesses(world)}`);
    }
    assert.ok(colours > 2, `the desktop shows more than a flat colour (${colours} colours sampled; screenshot in /tmp/stacklab-desktop-failure.png)`);
    await world.screenshot(page, 'lab-page-desktop');
    await page.close();
  });

  test('keys from a read-only token never reach the desktop; from a writable token they do', async () => {
    const ctx = world.runtime.ctx;
    const { id, ssh, call } = await desktopStack(world);
    const exists = async (file: string) => (await sshExec(ssh, `test -e ${file}`)).code === 0;
    const waitForFile = (file: string, timeoutMs: number) => waitForCondition(() => exists(file), timeoutMs);
    // The terminal window and its shell are up (the desktop script restarts them until they are).
    assert.ok(await waitForCondition(() => sshExec(ssh, shellUp).then((r) => r.code === 0), 90_000), 'xterm with a shell and openbox run on the desktop');
    await sshExec(ssh, 'rm -f /tmp/rw-proof-1 /tmp/rw-proof-2 /tmp/ro-proof');

    const grant = await call<{ path: string; protocols: string[]; server: string; readOnly: boolean }>('POST', `/api/v1/me/stacks/${id}/connections`);
    assert.equal(grant.readOnly, false);
    const url = world.base.replace('http', 'ws') + grant.path;
    // Connection tokens are single use: every attempt to connect gets a token of its own.
    const readOnlyProtocols = async () => [PROTOCOL, TOKEN_PROTOCOL_PREFIX + (await signConnectionToken(ctx.keys, { learner: 'linus', stackId: id, server: grant.server, kind: 'vnc', readOnly: true }, 60))];
    const writableProtocols = async () => (await call<{ protocols: string[] }>('POST', `/api/v1/me/stacks/${id}/connections`)).protocols;

    // Writable first: a click gives the terminal window (xterm at +60+60) the focus, and typed commands run
    // (retried while the window manager settles).
    const writable = await RfbClient.connect(url, writableProtocols);
    let typed = false;
    for (let attempt = 0; attempt < 4 && !typed; attempt++) {
      writable.client.click(TERMINAL_X, TERMINAL_Y);
      // The window manager moves the focus on the click in its own time; keys sent at once could miss it.
      await new Promise((r) => setTimeout(r, 500));
      writable.client.type('touch /tmp/rw-proof-1\r');
      typed = await waitForFile('/tmp/rw-proof-1', 10_000);
    }
    writable.client.close();
    if (!typed) console.error(`# remote screen ${writable.init.width}x${writable.init.height}\n${await desktopProcesses(world)}`);
    assert.ok(typed, 'a writable token types into the desktop terminal');

    // Read-only: the handshake and screen updates work, the keys go nowhere.
    const viewer = await RfbClient.connect(url, readOnlyProtocols);
    viewer.client.click(TERMINAL_X, TERMINAL_Y);
    viewer.client.type('touch /tmp/ro-proof\r');
    assert.equal(await viewer.client.updateOnePixel(viewer.init.bytesPerPixel), 0, 'the viewer still gets screen updates');
    assert.equal(await waitForFile('/tmp/ro-proof', 5_000), false, 'keys from a read-only token must not reach the desktop');
    viewer.client.close();

    // Writable again, typed once: the terminal still works, and no half-typed read-only line was left in it.
    const again = await RfbClient.connect(url, writableProtocols);
    again.client.type('touch /tmp/rw-proof-2\r');
    assert.ok(await waitForFile('/tmp/rw-proof-2', 15_000), 'the terminal took the writable command on a clean line');
    again.client.close();
    assert.equal(await exists('/tmp/ro-proof'), false);

    // The desktop survives its VNC server dying (bookworm's Xvnc 1.12 segfaults on some client messages):
    // the lab script starts Xvnc again, the window manager and terminal come back, and a client connects.
    const xvncPid = async () => (await sshExec(ssh, 'pgrep -u training -x Xvnc')).stdout.trim();
    const before = await xvncPid();
    assert.ok(before, 'Xvnc runs');
    await sshExec(ssh, 'pkill -SEGV -u training -x Xvnc');
    assert.ok(await waitForCondition(async () => !['', before].includes(await xvncPid()), 30_000), 'Xvnc was started again');
    assert.ok(await waitForCondition(() => sshExec(ssh, shellUp).then((r) => r.code === 0), 90_000), 'xterm and openbox came back');
    const revived = await RfbClient.connect(url, writableProtocols);
    assert.equal(await revived.client.updateOnePixel(revived.init.bytesPerPixel), 0, 'a client gets the revived desktop');
    revived.client.close();
  });

  test('the terminal window is on screen again whenever the window manager and the terminal restart together', async () => {
    // A window mapped while Openbox is still starting is never shown: the desktop then has a live xterm,
    // nothing on screen and nowhere for keys to go. Both restarting at once is that race, every time.
    const { ssh, call, id } = await desktopStack(world);
    const url = world.base.replace('http', 'ws') + (await call<{ path: string }>('POST', `/api/v1/me/stacks/${id}/connections`)).path;
    const viewer = await RfbClient.connect(url, async () => (await call<{ protocols: string[] }>('POST', `/api/v1/me/stacks/${id}/connections`)).protocols);
    try {
      const terminalShown = async () => !sameColour(await viewer.client.pixel(TERMINAL_X, TERMINAL_Y), DESKTOP_BACKGROUND);
      assert.ok(await waitForCondition(() => sshExec(ssh, shellUp).then((r) => r.code === 0), 90_000), 'xterm with a shell and openbox run on the desktop');
      assert.ok(await waitForCondition(terminalShown, 30_000), 'the terminal window is on screen');
      for (let round = 1; round <= 4; round++) {
        const terminal = (await sshExec(ssh, 'pgrep -u training -x xterm')).stdout.trim();
        await sshExec(ssh, 'pkill -u training -x openbox; pkill -u training -x xterm');
        const restarted = async () => {
          const now = (await sshExec(ssh, `${shellUp} && pgrep -u training -x xterm`)).stdout.trim();
          return now !== '' && now !== terminal;
        };
        assert.ok(await waitForCondition(restarted, 60_000), `round ${round}: xterm and openbox were started again`);
        assert.ok(await waitForCondition(terminalShown, 20_000), `round ${round}: the new terminal window is on screen, not only running`);
      }
    } finally {
      viewer.client.close();
    }
  });
});

/** The terminal window and its shell run, and so does the window manager. */
const shellUp = 'x=$(pgrep -u training -x xterm | head -1) && [ -n "$x" ] && pgrep -P "$x" >/dev/null && pgrep -x openbox >/dev/null';
/** labs/desktop paints the root window #2f6f9f. */
const DESKTOP_BACKGROUND: [number, number, number] = [0x2f, 0x6f, 0x9f];

function sameColour(a: [number, number, number], b: [number, number, number]): boolean {
  return a.every((v, i) => v === b[i]);
}

/** The learner's desktop stack, READY (the stack of an earlier test, or a new one when a test runs alone). */
async function desktopStack(world: E2eWorld): Promise<{ id: string; ssh: SshTarget; call: <T>(method: 'GET' | 'POST', path: string) => Promise<T> }> {
  const ctx = world.runtime.ctx;
  const session = await world.session('linus');
  const call = async <T>(method: 'GET' | 'POST', path: string): Promise<T> => {
    const response = await fetch(world.base + path, { method, headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(response.status, 200, `${method} ${path}`);
    return (await response.json()) as T;
  };
  const { id } = await call<{ id: string }>('POST', '/api/v1/me/labs/desktop/launch');
  const stack = await ctx.stacks.waitForState(id, ['READY'], 100_000);
  const ssh: SshTarget = { host: stack.publicIp!, username: 'training', privateKey: (await ctx.stacks.secrets(id)).privateKey! };
  return { id, ssh, call };
}

/** What runs on the desktop server, and the desktop service's log: printed when the desktop looks wrong. */
async function desktopProcesses(world: E2eWorld): Promise<string> {
  const [stack] = await world.runtime.ctx.stacks.list({ lab: 'desktop' });
  if (!stack?.publicIp) return '# no desktop stack to inspect';
  const ssh: SshTarget = { host: stack.publicIp, username: 'training', privateKey: (await world.runtime.ctx.stacks.secrets(stack.id)).privateKey! };
  const r = await sshExec(ssh, 'ps -eo pid,ppid,user,etime,args; DISPLAY=:1 xrandr --current | head -3; sudo journalctl -u lab-desktop --no-pager | tail -40; ls -la /tmp /tmp/.X11-unix').catch((e: Error) => ({ stdout: '', stderr: e.message }));
  return `# desktop server:\n${r.stdout}${r.stderr}`.replace(/^/gm, '# ');
}

async function waitForCondition(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) {
    if (await check().catch(() => false)) return true;
  }
  return false;
}

