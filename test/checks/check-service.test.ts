import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckService } from '../../src/checks/check-service.ts';
import type { CheckCompletedEvent } from '../../src/infra/events.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { checksLab } from './support/checks-lab.ts';
import { SSHD_PRESENT, SSHD_WHY } from './support/lab-sshd.ts';
import { SshdProvider } from './support/sshd-provider.ts';
import { DO_FIRST_STEP, DO_THE_REST } from './support/three-checks.ts';

describe('progress checks on a stack', { skip: skipUnless(SSHD_PRESENT, SSHD_WHY) }, () => {
  let runtime: TestRuntime;
  let provider: SshdProvider;
  const events: CheckCompletedEvent[] = [];
  before(async () => {
    provider = new SshdProvider();
    runtime = await testRuntime({ providers: [provider], labs: [checksLab(), checksLab({ id: 'latest', gradePolicy: 'latest' })] });
    runtime.ctx.events.on('check.completed', (e) => events.push(e));
    runtime.worker.start();
  });
  after(async () => {
    await runtime?.close();
    await provider?.close();
  });

  async function readyStack(learner: string, lab = 'three') {
    const stack = await runtime.ctx.stacks.launch({ learner, context: 'course-1', lab, actor: 'test' });
    const ready = await runtime.ctx.stacks.waitForState(stack.id, ['READY'], 30_000);
    return { stack: ready, lab: provider.lab(ready.providerStackName) };
  }

  test('one step done: 1/3 with the two failing scripts stderr as hints; then all done: 3/3, grade and events', async () => {
    const { stack, lab } = await readyStack('alice');
    const checks = runtime.ctx.checks;
    await lab.learner(DO_FIRST_STEP);
    const first = await checks.run(stack.id, 'test');
    assert.equal(first.status, 'completed');
    assert.deepEqual([first.passed, first.total, first.score], [1, 3, 0.25]);
    assert.deepEqual(
      first.results.filter((r) => !r.passed).map((r) => r.hint),
      ['Make a folder named project in your home directory.', 'Write ~/bin/greet, an executable that prints hi.'],
    );
    const firstEvent = events.find((e) => e.attemptId === first.id);
    assert.ok(firstEvent, 'check.completed was emitted');
    assert.deepEqual(
      { learner: firstEvent.learner, context: firstEvent.context, lab: firstEvent.lab, score: firstEvent.score, passed: firstEvent.passed, total: firstEvent.total, maxScore: firstEvent.maxScore },
      { learner: 'alice', context: 'course-1', lab: 'three', score: 0.25, passed: 1, total: 3, maxScore: 1 },
    );

    await lab.learner(DO_THE_REST);
    const second = await checks.run(stack.id, 'test');
    assert.deepEqual([second.passed, second.total, second.score], [3, 3, 1]);
    const status = await checks.status(stack.id);
    assert.equal(status.latest?.id, second.id);
    assert.equal(status.attempts, 2);
    assert.equal(status.grade, 1);
  });

  test('grade policy: best keeps the best attempt, latest the last one', async () => {
    for (const [labId, expected] of [
      ['three', 1],
      ['latest', 0.25],
    ] as const) {
      const { stack, lab } = await readyStack(`bob-${labId}`, labId);
      const checks = runtime.ctx.checks;
      await lab.learner(DO_FIRST_STEP + ' && ' + DO_THE_REST);
      await checks.run(stack.id, 'test');
      await lab.learner(DO_FIRST_STEP); // the learner breaks it again
      const last = await checks.run(stack.id, 'test');
      assert.equal(last.score, 0.25);
      assert.equal((await checks.status(stack.id)).grade, expected, labId);
      assert.equal(events.find((e) => e.attemptId === last.id)?.score, expected, `${labId}: the event carries the grade`);
    }
  });

  test('two check requests at once run once: the second joins, in this process and through the database', async () => {
    const { stack } = await readyStack('carol');
    const checks = runtime.ctx.checks;
    const other = new CheckService(runtime.ctx); // as if in a second process: shares only the database
    const [a, b, c] = await Promise.all([checks.start(stack.id, 'one'), checks.start(stack.id, 'two'), other.start(stack.id, 'three')]);
    assert.equal(a.run.id, b.run.id);
    assert.equal(a.run.id, c.run.id);
    assert.deepEqual([a.joined, b.joined, c.joined].filter((j) => !j).length, 1, 'exactly one request started a run');
    const [done, viaDb] = await Promise.all([checks.wait(a.run.id, 60_000), other.wait(c.run.id, 60_000)]);
    assert.equal(done.status, 'completed');
    assert.equal(viaDb.status, 'completed');
    const rows = await runtime.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM check_runs WHERE stack_id = $1', [stack.id]);
    assert.equal(rows[0].n, 1);
    // The database itself refuses a second running row for the stack.
    await runtime.ctx.db.query(`UPDATE check_runs SET status = 'running' WHERE stack_id = $1`, [stack.id]);
    await assert.rejects(
      runtime.ctx.db.query(
        `INSERT INTO check_runs (id, stack_id, learner, context, lab, status, actor, started_at, deadline) VALUES ('x', $1, 'l', 'c', 'three', 'running', 't', now(), now())`,
        [stack.id],
      ),
    );
    await runtime.ctx.db.query(`UPDATE check_runs SET status = 'completed' WHERE stack_id = $1`, [stack.id]);
  });

  test('a check on a suspended stack resumes it first', async () => {
    const { stack, lab } = await readyStack('dave');
    await lab.learner(DO_FIRST_STEP + ' && ' + DO_THE_REST);
    await runtime.ctx.stacks.requestSuspend(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['SUSPENDED'], 30_000);
    const run = await runtime.ctx.checks.run(stack.id, 'test');
    assert.equal(run.status, 'completed');
    assert.equal(run.score, 1);
    assert.equal((await runtime.ctx.stacks.get(stack.id)).state, 'READY');
    const transitions = (await runtime.ctx.stacks.events(stack.id)).map((e) => e.toState);
    assert.deepEqual(transitions.slice(-3), ['RESUME_PENDING', 'RESUMING', 'READY']);
  });

  test('a deleted stack is refused with a sentence for the learner', async () => {
    const { stack } = await readyStack('erin');
    await runtime.ctx.stacks.requestDelete(stack.id, 'test');
    await runtime.ctx.stacks.waitForState(stack.id, ['DELETED'], 30_000);
    await assert.rejects(runtime.ctx.checks.start(stack.id, 'test'), (error: Error & { code?: string }) => error.code === 'INVALID_STATE' && /launch it again/.test(error.message));
  });
});
