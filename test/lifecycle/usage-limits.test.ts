import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../src/errors/api-errors.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const CONTEXT = 'course-v1:Org+Budget+2026';

for (const backend of BACKENDS) {
  describe(`usage limits on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    before(async () => {
      rt = await testRuntime({
        backend,
        providers: [new FakeProvider('fake')],
        labs: [
          testLab({ id: 'blocked', title: 'Blocked lab', usageLimit: { seconds: 600, mode: 'block' }, timeouts: { launch: 900, suspend: 3600, deleteAge: 14 * 24 * 3600, check: 120, remoteExec: 300 } }),
          testLab({ id: 'warned', title: 'Warned lab', usageLimit: { seconds: 600, mode: 'warn' }, timeouts: { launch: 900, suspend: 3600, deleteAge: 14 * 24 * 3600, check: 120, remoteExec: 300 } }),
        ],
      });
    });
    after(async () => rt?.close());
    const launch = (learner: string, lab: string) => rt.ctx.stacks.launch({ learner, context: CONTEXT, lab, actor: 'test' });

    test('a block budget suspends the running lab at its end and refuses launch and resume with USAGE_LIMIT_REACHED, until the course team extends it', async () => {
      const stack = await launch('ada', 'blocked');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
      rt.clock.advance(300);
      await rt.ctx.stacks.keepalive(stack.id, 'test');
      const half = await rt.ctx.stacks.budgets.status({ learner: 'ada', context: CONTEXT, lab: 'blocked' }, rt.clock.now());
      assert.ok(half && half.leftSeconds > 0 && half.leftSeconds < 600, `about half left: ${JSON.stringify(half)}`);
      // Active, but out of time: the suspender takes it at its suspend_by (the idle timeout is an hour).
      rt.clock.advance(301);
      await rt.ctx.stacks.keepalive(stack.id, 'test');
      await rt.scheduler.run('suspender');
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPEND_PENDING');
      assert.match((await rt.ctx.stacks.events(stack.id)).at(-1)!.reason, /past suspend_by \(the end of a usage budget\)/, 'the history says why');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');

      await assert.rejects(launch('ada', 'blocked'), (e: unknown) => e instanceof AppError && e.code === 'USAGE_LIMIT_REACHED' && /ask your course team/i.test(e.message));
      await assert.rejects(rt.ctx.stacks.requestResume(stack.id, 'api:test'), (e: unknown) => e instanceof AppError && e.code === 'USAGE_LIMIT_REACHED');
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED', 'a refused launch leaves the stack as it was');

      await rt.ctx.stacks.budgets.extend({ learner: 'ada', context: CONTEXT, lab: 'blocked' }, 1200, 'instructor:test', rt.clock.now(), 'make-up session');
      const extension = (await rt.ctx.stacks.events(stack.id)).at(-1)!;
      assert.deepEqual([extension.kind, extension.toState, extension.actor, extension.reason], ['staff_action', 'SUSPENDED', 'instructor:test', 'added 20 min of lab time to the budget (make-up session)'], 'the history says who extended it');
      const resumed = await launch('ada', 'blocked');
      assert.equal(resumed.state, 'RESUME_PENDING');
      assert.ok(resumed.suspendBy, 'the resumed stack is suspended at the end of its extended budget');
      const left = (resumed.suspendBy.getTime() - rt.clock.now().getTime()) / 1000;
      assert.ok(left > 1100 && left <= 1200, `the deadline is the time left: ${left}`);
    });

    test('coming back to a running lab whose block budget is used up suspends it and says why', async () => {
      const stack = await launch('bea', 'blocked');
      await settle(rt);
      // A course override shortens the budget under a running stack; the next visit finds it used up.
      await rt.ctx.stacks.budgets.store.setCourseLimit(CONTEXT, 'blocked', { seconds: 60, mode: 'block' }, 'operator', rt.clock.now());
      rt.clock.advance(120);
      await assert.rejects(launch('bea', 'blocked'), (e: unknown) => e instanceof AppError && e.code === 'USAGE_LIMIT_REACHED');
      const after = await rt.ctx.stacks.get(stack.id);
      assert.equal(after.state, 'SUSPEND_PENDING');
      const events = await rt.ctx.stacks.events(stack.id);
      assert.match(events.at(-1)!.reason, /usage limit reached/);
      assert.equal(await rt.ctx.stacks.budgets.store.clearCourseLimit(CONTEXT, 'blocked'), true);
      await settle(rt);
    });

    test('a warn budget is only reported: the used-up lab still launches and runs past it', async () => {
      const stack = await launch('cy', 'warned');
      await settle(rt);
      rt.clock.advance(700);
      await rt.ctx.stacks.keepalive(stack.id, 'test');
      await rt.scheduler.run('suspender');
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
      const status = await rt.ctx.stacks.budgets.status({ learner: 'cy', context: CONTEXT, lab: 'warned' }, rt.clock.now());
      assert.equal(status?.exhausted, true);
      assert.equal((await launch('cy', 'warned')).state, 'READY');
    });
  });
}
