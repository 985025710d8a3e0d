/**
 * A learner coming back to a suspended lab waits for the store before the worker can resume it; on a
 * loaded machine each round trip in that chain costs milliseconds, so it is kept short.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { roundTrips } from '../support/round-trips.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`coming back on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    let rt: TestRuntime;
    before(async () => {
      rt = await testRuntime({ backend, providers: [new FakeProvider('fake')], labs: [testLab()] });
    });
    after(async () => rt?.close());

    test('a launch that comes back to a suspended stack waits for two round trips in a row: the budget and the stack read side by side, then the move', async () => {
      const req = { learner: 'ada', context: 'course', lab: 'demo', actor: 'learner:ada' };
      const first = await rt.ctx.stacks.launch(req);
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(first.id, 'test');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(first.id)).state, 'SUSPENDED');
      rt.clock.advance(600);
      const { result, waves } = await roundTrips(rt.ctx.db).count(() => rt.ctx.stacks.launch(req));
      assert.deepEqual([result.id, result.state, result.lastActivityAt.getTime()], [first.id, 'RESUME_PENDING', rt.clock.now().getTime()]);
      // The budget was read before the stack, one round trip more for every learner who came back.
      assert.equal(waves, 2);
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(first.id)).state, 'READY');
    });

    test('a suspend or delete request is one round trip (the move is the compare-and-set; a read before it decided nothing)', async () => {
      const req = { learner: 'bob', context: 'course', lab: 'demo', actor: 'learner:bob' };
      const stack = await rt.ctx.stacks.launch(req);
      await settle(rt);
      const suspend = await roundTrips(rt.ctx.db).count(() => rt.ctx.stacks.requestSuspend(stack.id, 'test'));
      assert.equal(suspend.result.state, 'SUSPEND_PENDING');
      assert.equal(suspend.waves, 1);
      // Asked again before the worker took it: the same answer, no second history entry.
      const again = await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      assert.equal(again.state, 'SUSPEND_PENDING');
      await settle(rt);
      const del = await roundTrips(rt.ctx.db).count(() => rt.ctx.stacks.requestDelete(stack.id, 'test'));
      assert.equal(del.result.state, 'DELETE_PENDING');
      assert.equal(del.waves, 1);
      await settle(rt);
      await assert.rejects(rt.ctx.stacks.requestSuspend(stack.id, 'test'), { code: 'INVALID_STATE' });
      const history = await rt.ctx.stacks.events(stack.id);
      assert.equal(history.filter((e) => e.toState === 'SUSPEND_PENDING').length, 1);
    });
  });
}
