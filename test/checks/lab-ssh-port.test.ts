/**
 * A lab whose jump host takes SSH on its own port (`port: 2222`), as the terminal uses it: checks, hooks
 * and `stacklab test` must log in there too, not on 22 (where nothing listens in this lab).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { runHook } from '../../src/checks/hooks.ts';
import { testLab as stacklabTest } from '../../src/checks/lab-test.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { checksLab } from './support/checks-lab.ts';
import { SSHD_PRESENT, SSHD_WHY } from './support/lab-sshd.ts';
import { SshdProvider } from './support/sshd-provider.ts';
import { DO_FIRST_STEP, DO_THE_REST } from './support/three-checks.ts';

const SSH_PORT = 2222;
// Succeeds only on the jump host, for the event it was given.
const hookScript = '#!/bin/sh\n[ "$1" = resume ] && [ "$(hostname)" = jump ]\n';
const lab = checksLab({ id: 'own-port', port: SSH_PORT, hookScript, hookEvents: ['resume'], solution: `#!/bin/bash\n${DO_FIRST_STEP} && ${DO_THE_REST}\n` });

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('a lab whose jump host listens for SSH on another port', { skip: skipUnless(SSHD_PRESENT, SSHD_WHY) }, () => {
  let runtime: TestRuntime;
  let provider: SshdProvider;
  before(async () => {
    provider = new SshdProvider('sshd', { sshPort: SSH_PORT });
    runtime = await testRuntime({ providers: [provider], labs: [lab] });
    runtime.worker.start();
  });
  after(async () => {
    await runtime?.close();
    await provider?.close();
  });

  async function readyStack(learner: string) {
    const stack = await runtime.ctx.stacks.launch({ learner, context: 'course-1', lab: lab.id, actor: 'test' });
    const ready = await runtime.ctx.stacks.waitForState(stack.id, ['READY'], 30_000);
    const sshd = provider.lab(ready.providerStackName);
    assert.equal(sshd.port, SSH_PORT);
    assert.ok(await refused(sshd.host, 22), 'nothing listens on port 22 of the jump host');
    return { stack: ready, sshd };
  }

  test('a progress check logs in on the lab port and passes, server2 included', async () => {
    const { stack, sshd } = await readyStack('port-alice');
    await sshd.learner(DO_FIRST_STEP + ' && ' + DO_THE_REST);
    const run = await runtime.ctx.checks.run(stack.id, 'test');
    assert.equal(run.status, 'completed', run.error ?? '');
    assert.deepEqual([run.passed, run.total, run.score], [3, 3, 1]);
  });

  test('the lab hook runs on the jump host through the lab port', async () => {
    const { stack } = await readyStack('port-bob');
    const outcome = await runHook(runtime.ctx, stack, 'resume');
    assert.deepEqual(outcome, { ran: true, ok: true, exitCode: 0, timedOut: false });
  });

  test('stacklab test logs in on the lab port, before and after a suspend', async () => {
    const report = await stacklabTest(lab, provider, { pollMs: 50, sshWaitSeconds: 3 });
    const failed = report.steps.filter((s) => !s.ok);
    assert.deepEqual(failed, [], 'every step passed');
    assert.ok(report.steps.some((s) => s.name === 'checks after resume' && s.detail === '3/3 passed'), JSON.stringify(report.steps));
  });
});
