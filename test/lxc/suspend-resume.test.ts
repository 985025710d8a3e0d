/**
 * Suspend freezes the servers: a counter process stops counting while suspended and continues from
 * the same value, in the same process, after resume; the shell's files are intact.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { LXC_HOME, labTemplate, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lxc: suspend and resume', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const name = uniqueName('sr');
  const ref = { id: name, name };
  let target: { host: string; username: string; privateKey: string };
  let counterFile = '';

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  // The counter's file, read from the host through the server's overlay (SSH is frozen too).
  const counter = () => Number(readFileSync(counterFile, 'utf8').trim());

  test('a running counter stops while suspended and continues from the same value after resume', async () => {
    await provider.create({ name, template: labTemplate('single-server'), parameters: {}, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    target = { host: String(done.outputs.public_ip), username: 'training', privateKey: String(done.outputs.private_key) };
    await waitForLogin(target);
    const state = stackState(name);
    counterFile = join(LXC_HOME, 'containers', state.plan.servers[0].container, 'upper/home/training/counter');
    await sshExec(target, 'echo "notes of the learner" > ~/notes.txt; cd ~; nohup sh -c \'i=0; while true; do i=$((i+1)); echo $i > counter.tmp && mv counter.tmp counter; sleep 0.05; done\' </dev/null >/dev/null 2>&1 & echo $! > ~/counter.pid');
    await sleep(500);
    const pid = (await sshExec(target, 'cat ~/counter.pid')).stdout.trim();
    assert.ok(counter() > 0, 'counter is not running');

    await provider.suspend(ref);
    const suspended = await waitFor(provider, ref, 'SUSPEND');
    assert.equal(suspended.status, 'COMPLETE', suspended.reason);
    const frozenAt = counter();
    await sleep(1500);
    assert.equal(counter(), frozenAt, 'the counter kept counting while suspended');
    await assert.rejects(sshExec(target, 'true', 2000), 'a suspended server answered SSH');

    await provider.resume(ref);
    const resumed = await waitFor(provider, ref, 'RESUME');
    assert.equal(resumed.status, 'COMPLETE', resumed.reason);
    await waitForLogin(target, 10_000);
    await sleep(300);
    const after = counter();
    assert.ok(after > frozenAt, `counter did not continue (${after} after ${frozenAt})`);
    // Continued, not restarted: far below what a restarted counter plus the suspended time would give.
    assert.ok(after < frozenAt + 60, `counter jumped from ${frozenAt} to ${after}`);
    const r = await sshExec(target, 'cat ~/counter.pid; kill -0 $(cat ~/counter.pid) && echo alive; cat ~/notes.txt');
    assert.deepEqual(r.stdout.trim().split('\n'), [pid, 'alive', 'notes of the learner']);
  });

  test('suspend of a suspended stack and resume of a running one do nothing', async () => {
    // Compared without the outputs: a failure message must not print the stack's private key.
    const withoutOutputs = (s: Awaited<ReturnType<typeof provider.get>>) => (s ? { ...s, outputs: Object.keys(s.outputs) } : s);
    const before = withoutOutputs(await provider.get(ref));
    await provider.resume(ref);
    assert.deepEqual(withoutOutputs(await provider.get(ref)), before, 'resume of a running stack changed it');
    await provider.suspend(ref);
    await provider.suspend(ref);
    assert.equal((await provider.get(ref))?.status, 'COMPLETE');
    await provider.resume(ref);
    await waitForLogin(target, 10_000);
  });

  test('delete of a suspended stack leaves nothing behind', async () => {
    const state = stackState(name);
    await provider.suspend(ref);
    await provider.delete(ref);
    assert.equal(await provider.get(ref), null);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
  });
});
