/**
 * The learner's lab page in real headless Chromium, on the local LXC runtime: progress while the lab
 * starts, a terminal that runs commands, the idle countdown, suspend when the learner leaves and the
 * same shell state (a file and a running background process) when they come back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'ssh2';
import { skipUnless } from '../support/prerequisite.ts';
import { e2eBlocker, e2eWorld, templateLab, terminalText, typeLine, waitForTerminal, type E2eWorld } from './support/e2e-world.ts';

const blocker = await e2eBlocker(['debian-12']);

/** Runs a command over SSH with the stack's own credentials: an independent view of the server. */
async function sshRun(world: E2eWorld, stackId: string, command: string): Promise<string> {
  const stack = await world.runtime.ctx.stacks.get(stackId);
  const secrets = await world.runtime.ctx.stacks.secrets(stackId);
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('error', reject);
    client.once('ready', () =>
      client.exec(command, (error, stream) => {
        if (error) return reject(error);
        let out = '';
        stream.on('data', (d: Buffer) => (out += d.toString()));
        stream.on('close', () => (client.end(), resolve(out.trim())));
      }),
    );
    client.connect({ host: stack.publicIp ?? '', port: 22, username: 'training', privateKey: secrets.privateKey, readyTimeout: 20_000 });
  });
}

describe('lab page (Chromium, local LXC runtime)', { skip: skipUnless(blocker === null, blocker ?? '') }, () => {
  let world: E2eWorld;
  const instructions = '# Your first lab\n\nRun `hostname` in the terminal.\n\n<script>window.pwned = true</script>';

  before(async () => {
    world = await e2eWorld(
      [
        templateLab('single-server', { id: 'e2e-shell', title: 'Shell basics', user: 'training', instructions, instructionsLayout: 'right', timeouts: { launch: 300, suspend: 20, deleteAge: 3600, check: 60, remoteExec: 60 } }),
        templateLab('single-server', {
          id: 'e2e-broken',
          title: 'A broken lab',
          providers: [{ name: 'local', capacity: -1, template: "heat_template_version: 2016-10-14\nparameters:\n  run: { type: string, default: '' }\nresources:\n  database:\n    type: OS::Trove::Instance\n    properties: { flavor: m1.small, size: 1 }\n", templateFile: 'template.yaml' }],
        }),
      ],
      { keepalive_interval: 3, idle_timeout: 8 },
    );
  });
  after(async () => world?.close());

  test('launch with progress, run commands, idle countdown, suspend and come back to the same shell', async () => {
    const page = await world.openLab('ada', 'e2e-shell');
    // Honest progress while the lab is built.
    await page.waitForSelector('#overlay:not([hidden]) #overlay-title:text("Starting your lab")', { timeout: 15_000 });
    await page.waitForFunction(() => /Elapsed: \d+:\d\d/.test(document.getElementById('overlay-elapsed')?.textContent ?? ''));
    await world.screenshot(page, 'lab-page-launching');
    // Instructions are rendered, and the script in them is shown as text, not run.
    assert.match(await page.innerText('#instructions h1'), /Your first lab/);
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned), undefined);

    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 90_000 });
    const stackId = await page.evaluate(() => window.stacklab.stack?.id ?? '');
    assert.ok(stackId);
    const expectedHost = await sshRun(world, stackId, 'hostname');
    await typeLine(page, 'hostname');
    await typeLine(page, 'echo $((6*7))');
    const text = await waitForTerminal(page, /^42\s*$/m);
    assert.match(text, new RegExp(`^${expectedHost}\\s*$`, 'm'));
    await world.screenshot(page, 'lab-page-ready');

    // A network blip: the server drops every socket; the page reconnects by itself.
    for (const client of world.app.websocketServer.clients) client.terminate();
    await page.waitForSelector('#overlay:not([hidden])', { timeout: 10_000 });
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 30_000 });
    await typeLine(page, 'echo "back-$((3*3))"');
    await waitForTerminal(page, /^back-9\s*$/m);

    // State that must survive a suspend: a file and a background process.
    await typeLine(page, "echo kept-$((20+3)) > ~/state.txt; nohup sh -c 'i=0; while :; do i=$((i+1)); echo $i > ~/counter; sleep 1; done' >/dev/null 2>&1 & echo bg=$!");
    const pid = (await waitForTerminal(page, /^bg=\d+\s*$/m)).match(/^bg=(\d+)\s*$/m)![1];

    // Idle: keepalives stop after idle_timeout and the countdown appears; "I'm still here" extends.
    await page.waitForSelector('#idle-warning:not([hidden])', { timeout: 40_000 });
    assert.match(await page.innerText('#idle-countdown'), /^0:\d\d$/);
    await world.screenshot(page, 'lab-page-idle-warning');
    const suspendAtBefore = await page.evaluate(() => window.stacklab.stack?.suspendAt ?? '');
    await page.click('#btn-still-here');
    await page.waitForSelector('#idle-warning', { state: 'hidden' });
    await page.waitForFunction((before) => (window.stacklab.stack?.suspendAt ?? '') > before, suspendAtBefore);

    // Left alone, the lab suspends and the page says so.
    await page.waitForSelector('#overlay:not([hidden]) #overlay-title:text("Your lab is suspended")', { timeout: 90_000 });
    assert.equal((await world.runtime.ctx.stacks.get(stackId)).state, 'SUSPENDED');
    await world.screenshot(page, 'lab-page-suspended');

    // Coming back (any input) resumes and reconnects by itself.
    await page.mouse.move(400, 400);
    await page.keyboard.press('Shift');
    await page.waitForSelector('#overlay', { state: 'hidden', timeout: 60_000 });
    await typeLine(page, 'cat ~/state.txt; kill -0 ' + pid + ' && echo "alive-$((1+1))"');
    await waitForTerminal(page, /^kept-23\s*$/m);
    await waitForTerminal(page, /^alive-2\s*$/m);

    // Leave the page: nobody keeps the lab alive, it suspends; a new visit resumes it with the same state.
    const counterBefore = Number(await sshRun(world, stackId, 'cat ~/counter'));
    await page.close();
    await world.runtime.ctx.stacks.waitForState(stackId, ['SUSPENDED'], 90_000);
    const again = await world.openLab('ada', 'e2e-shell');
    await again.waitForSelector('#overlay', { state: 'hidden', timeout: 60_000 });
    assert.equal(await again.evaluate(() => window.stacklab.stack?.id), stackId, 'the same stack came back');
    await typeLine(again, `cat ~/state.txt; ps -o pid= -p ${pid} >/dev/null && echo "still-$((2+2))"; cat ~/counter`);
    const after = await waitForTerminal(again, /^still-4\s*$/m);
    assert.match(after, /^kept-23\s*$/m);
    const counterAfter = Number(await sshRun(world, stackId, 'sleep 1.5; cat ~/counter'));
    assert.ok(counterAfter > counterBefore, `the background process kept counting after resume (${counterBefore} -> ${counterAfter})`);
    await again.close();
  });

  test('a lab that cannot start says so in plain words, with what to do', async () => {
    const page = await world.openLab('grace', 'e2e-broken');
    await page.waitForSelector('#overlay:not([hidden]) #overlay-title:text("Something went wrong")', { timeout: 60_000 });
    const error = await page.innerText('#overlay-error');
    assert.match(error, /Trove::Instance/, 'the error names what is wrong');
    assert.match(error, /Try again/);
    assert.equal(await page.isVisible('#overlay-action'), true);
    assert.equal(await page.innerText('#state-badge'), 'Error');
    await world.screenshot(page, 'lab-page-error');
    assert.doesNotMatch(await terminalText(page), /\S/);
    await page.close();
  });
});
