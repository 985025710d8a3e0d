/** Progress checks, hints, hooks and the learner API on a real stack of the local runtime (labs/checks-demo). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { runRemoteScript } from '../../src/checks/remote-script.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { SshTarget } from '../../src/checks/ssh-target.ts';
import type { LabCheck } from '../../src/domain/lab.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { LXC_TEST_DEPLOYMENT, REPO, lxcMissing, testProvider } from '../lxc/support.ts';

const missing = await lxcMissing();

describe('progress checks on a real local-runtime stack', { skip: skipUnless(missing === null, missing ?? '') }, () => {
  let runtime: TestRuntime;
  let app: FastifyInstance;
  let stack: Stack;

  /** What the learner types in the lab's terminal. */
  async function learnerTypes(command: string): Promise<string> {
    const current = await runtime.ctx.stacks.get(stack.id);
    const secrets = await runtime.ctx.stacks.secrets(stack.id);
    const target = new SshTarget({ host: current.publicIp!, username: 'training', privateKey: secrets.privateKey });
    try {
      const run = await runRemoteScript(await target.client(), `#!/bin/bash\nset -e\n${command}\n`, { timeoutMs: 30_000 });
      assert.equal(run.exitCode, 0, run.stderr);
      return run.stdout;
    } finally {
      target.close();
    }
  }

  before(async () => {
    const lab = loadLab(join(REPO, 'labs', 'checks-demo'), { defaultProviders: ['local'] });
    runtime = await testRuntime({ providers: [testProvider()], labs: [lab], overrides: { deployment_id: LXC_TEST_DEPLOYMENT } });
    runtime.worker.start();
    app = await buildApp(runtime.ctx);
    const launched = await runtime.ctx.stacks.launch({ learner: 'ada', context: 'course-1', lab: 'checks-demo', actor: 'test' });
    stack = await runtime.ctx.stacks.waitForState(launched.id, ['READY'], 100_000);
  });

  after(async () => {
    if (stack) {
      await runtime.ctx.stacks.requestDelete(stack.id, 'test').catch(() => undefined);
      await runtime.ctx.stacks.waitForState(stack.id, ['DELETED'], 100_000).catch(() => undefined);
    }
    await app?.close();
    await runtime?.close();
  });

  test('one step of three done: 1/3 (weighted 0.25) and the two hints are the failing scripts stderr', async () => {
    await learnerTypes('mkdir -p ~/notes && echo hello > ~/notes/hello.txt');
    const run = await runtime.ctx.checks.run(stack.id, 'test');
    assert.equal(run.status, 'completed', run.error ?? '');
    assert.deepEqual([run.passed, run.total, run.score], [1, 3, 0.25]);
    assert.deepEqual(
      run.results.filter((r) => !r.passed).map((r) => r.hint),
      ['Write an executable script ~/bin/greet (remember chmod +x).', "Add a line 'Lab complete' to /etc/motd (it belongs to root: use sudo)."],
    );
  });

  test('another learner cannot run or read checks on this stack', async () => {
    const mallory = await issueSession(runtime.ctx.keys, { learner: 'mallory', context: 'course-1', roles: ['Learner'] }, 600);
    for (const method of ['POST', 'GET'] as const) {
      const res = await app.inject({ method, url: `/api/v1/me/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${mallory}` } });
      assert.equal(res.statusCode, 404);
    }
    const ada = await issueSession(runtime.ctx.keys, { learner: 'ada', context: 'course-1', roles: ['Learner'] }, 600);
    const own = await app.inject({ method: 'GET', url: `/api/v1/me/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${ada}` } });
    assert.equal(own.statusCode, 200);
    assert.equal(own.json().label, 'Check my work');
    assert.equal(own.json().latest.passed, 1);
  });

  test('after the rest is done: 3/3 and the grade is 1', async () => {
    await learnerTypes('mkdir -p ~/bin && printf \'#!/bin/sh\\necho "Hello, $1!"\\n\' > ~/bin/greet && chmod +x ~/bin/greet && echo "Lab complete" | sudo tee -a /etc/motd >/dev/null');
    const run = await runtime.ctx.checks.run(stack.id, 'test');
    assert.deepEqual([run.passed, run.total, run.score], [3, 3, 1], JSON.stringify(run.results));
    assert.equal((await runtime.ctx.checks.status(stack.id)).grade, 1);
  });

  test('a check on a suspended stack resumes it first; the lab hook ran on suspend and on resume', async () => {
    await runtime.ctx.stacks.requestSuspend(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['SUSPENDED'], 60_000);
    const run = await runtime.ctx.checks.run(stack.id, 'test');
    assert.equal(run.status, 'completed', run.error ?? '');
    assert.equal(run.score, 1, JSON.stringify(run.results));
    assert.equal((await runtime.ctx.stacks.get(stack.id)).state, 'READY');
    const deadline = Date.now() + 20_000;
    let events: string[] = [];
    while (Date.now() < deadline) {
      events = (await learnerTypes('cat ~/.stacklab-hooks.log 2>/dev/null || true')).trim().split('\n').filter(Boolean).map((l) => l.split(' ')[1]);
      if (events.includes('resume')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(events, ['suspend', 'resume']);
  });

  test('a check that hangs is cut at the timeout and counts as failed with a clear hint', async () => {
    const current = await runtime.ctx.stacks.get(stack.id);
    const secrets = await runtime.ctx.stacks.secrets(stack.id);
    const target = new SshTarget({ host: current.publicIp!, username: 'training', privateKey: secrets.privateKey });
    const hang: LabCheck = { title: 'waits forever', weight: 1, script: '#!/bin/sh\nread answer < /dev/tty 2>/dev/null || sleep 3600\n' };
    const started = Date.now();
    try {
      const outcome = await runChecks(target, [hang, { title: 'quick', weight: 1, script: '#!/bin/sh\nexit 0\n' }], { checkSeconds: 60, remoteExecSeconds: 2 });
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual(outcome.results.map((r) => r.passed), [false, true], JSON.stringify(outcome.results));
      assert.equal(outcome.results[0].timedOut, true);
      assert.match(outcome.results[0].hint ?? '', /did not finish within 2 seconds, so it counts as failed/);
      assert.equal(outcome.score, 0.5);
    } finally {
      target.close();
    }
  });
});
