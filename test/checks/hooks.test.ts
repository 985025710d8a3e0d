import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { checksLab } from './support/checks-lab.ts';
import { SSHD_PRESENT, SSHD_WHY } from './support/lab-sshd.ts';
import { SshdProvider } from './support/sshd-provider.ts';

// The hook writes to the host's /tmp, which the test lab shares, so the test can read it after the delete.
const logFile = `/tmp/stacklab-hooktest-${randomBytes(4).toString('hex')}.log`;
const recordingHook = `#!/bin/sh\necho "$1 $(whoami)" >> ${logFile}\n`;

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('lab hook scripts around the lifecycle', { skip: skipUnless(SSHD_PRESENT, SSHD_WHY) }, () => {
  let runtime: TestRuntime;
  let provider: SshdProvider;
  before(async () => {
    provider = new SshdProvider();
    const timeouts = { launch: 60, suspend: 3600, deleteAge: 86400, check: 60, remoteExec: 2 };
    runtime = await testRuntime({
      providers: [provider],
      labs: [
        checksLab({ id: 'hooked', hookScript: recordingHook, hookEvents: ['suspend', 'resume', 'delete'], timeouts }),
        checksLab({ id: 'resume-only', hookScript: recordingHook, hookEvents: ['resume'], timeouts }),
        checksLab({ id: 'failing', hookScript: '#!/bin/sh\necho broken >&2\nexit 3\n', hookEvents: ['suspend'], timeouts }),
        checksLab({ id: 'hanging', hookScript: '#!/bin/sh\nsleep 600\n', hookEvents: ['suspend'], timeouts }),
      ],
    });
    runtime.worker.start();
  });
  after(async () => {
    await runtime?.close();
    await provider?.close();
    rmSync(logFile, { force: true });
  });

  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : []);

  async function launch(learner: string, lab: string) {
    const stack = await runtime.ctx.stacks.launch({ learner, context: 'c', lab, actor: 'test' });
    return runtime.ctx.stacks.waitForState(stack.id, ['READY'], 30_000);
  }

  test('suspend, resume and delete run the hook as the lab user, with the event as its argument, in order', async () => {
    const stack = await launch('hook-user', 'hooked');
    await runtime.ctx.stacks.requestSuspend(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['SUSPENDED'], 30_000);
    assert.deepEqual(log(), ['suspend training'], 'the suspend hook ran before the stack froze');
    await runtime.ctx.stacks.requestResume(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['READY'], 30_000);
    await until('the resume hook', () => log().length === 2);
    await runtime.ctx.stacks.requestDelete(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['DELETED'], 30_000);
    assert.deepEqual(log(), ['suspend training', 'resume training', 'delete training']);
  });

  test('only the events the lab lists run the hook', async () => {
    rmSync(logFile, { force: true });
    const stack = await launch('hook-user-2', 'resume-only');
    await runtime.ctx.stacks.requestSuspend(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['SUSPENDED'], 30_000);
    assert.deepEqual(log(), []);
    await runtime.ctx.stacks.requestResume(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['READY'], 30_000);
    await until('the resume hook', () => log().length === 1);
    assert.deepEqual(log(), ['resume training']);
  });

  test('a failing hook and a hanging hook are logged and do not block the suspend', async () => {
    for (const lab of ['failing', 'hanging']) {
      const stack = await launch(`hook-${lab}`, lab);
      const started = Date.now();
      await runtime.ctx.stacks.requestSuspend(stack.id, 'test');
      const suspended = await runtime.ctx.stacks.waitForState(stack.id, ['SUSPENDED'], 30_000);
      assert.equal(suspended.state, 'SUSPENDED', lab);
      assert.ok(Date.now() - started < 15_000, `${lab}: the hook's time limit (2 s) held`);
    }
  });
});
