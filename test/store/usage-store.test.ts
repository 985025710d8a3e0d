/**
 * The usage store (db/usage-store.ts, migration 013) and the history's last-activity column on both
 * databases: every way the stack store writes history (insert, transition, claim, sweep) records the
 * stack's last activity, which is what learning time is told from.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { UsageStore } from '../../src/db/usage-store.ts';
import { segments, usageSeconds } from '../../src/domain/billing.ts';
import { suspender } from '../../src/services/sweeps.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';

const pgUp = await postgresAvailable();
const t0 = new Date('2026-04-01T10:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

for (const backend of BACKENDS) {
  describe(`usage store on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await freshDatabase(backend);
    });
    after(async () => t?.drop());

    test('course limits are set, replaced and cleared; extensions add up per learner, course and lab', async () => {
      const store = new UsageStore(t.db);
      assert.equal(await store.courseLimit('c1', 'lab'), null);
      await store.setCourseLimit('c1', 'lab', { seconds: 3600, mode: 'warn' }, 'op', at(0));
      const replaced = await store.setCourseLimit('c1', 'lab', { seconds: 7200, mode: 'block' }, 'op2', at(1));
      assert.deepEqual([replaced.seconds, replaced.mode, replaced.actor], [7200, 'block', 'op2']);
      assert.deepEqual((await store.courseLimits('c1')).map((l) => l.lab), ['lab']);
      await assert.rejects(store.setCourseLimit('c1', 'lab', { seconds: 3600, mode: 'stop' as 'block' }, 'op', at(2)), 'the database refuses an unknown mode');
      await store.extend({ learner: 'ada', context: 'c1', lab: 'lab', seconds: 600, note: 'a', actor: 'i', at: at(3) });
      await store.extend({ learner: 'ada', context: 'c1', lab: 'lab', seconds: 900, note: 'b', actor: 'i', at: at(4) });
      await store.extend({ learner: 'ada', context: 'c2', lab: 'lab', seconds: 5, note: '', actor: 'i', at: at(5) });
      assert.equal(await store.extensionSeconds('ada', 'c1', 'lab'), 1500);
      assert.equal(await store.extensionSeconds('bob', 'c1', 'lab'), 0);
      assert.deepEqual((await store.extensions('ada', 'c1', 'lab')).map((e) => e.note), ['a', 'b']);
      assert.equal(await store.clearCourseLimit('c1', 'lab'), true);
      assert.equal(await store.clearCourseLimit('c1', 'lab'), false);
    });

    test('every history write records the last activity, and billing reads it back', async () => {
      const stacks = new StackStore(t.db);
      const usage = new UsageStore(t.db);
      const { stack } = await stacks.insertOrGet(
        { id: 'h1', learner: 'ada', context: 'c1', lab: 'lab', run: 'r', providerStackName: 'stacklab-x-h1-1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now: at(0) },
        'test',
      );
      await stacks.claim({ worker: 'w', now: at(10), leaseUntil: at(70), limit: 10, suspendTaskTimeout: 900, deleteTaskTimeout: 900 });
      await stacks.transition({ id: stack.id, from: ['CREATING'], to: 'READY', reason: reason('history.created'), actor: 'w', now: at(20) });
      await stacks.touchReady([stack.id], [at(1000)]);
      // The suspender's sweep, 120 s after the last activity.
      await suspender(stacks, at(1120), { batch: 10, deleteAttempts: 0, suspendAttempts: 0, retryBackoff: 0 });
      await stacks.claim({ worker: 'w', now: at(1121), leaseUntil: at(1200), limit: 10, suspendTaskTimeout: 900, deleteTaskTimeout: 900 });
      await stacks.transition({ id: stack.id, from: ['SUSPENDING'], to: 'SUSPENDED', reason: reason('history.suspended'), actor: 'w', now: at(1130) });
      const history = (await usage.histories([stack.id, 'none'], at(5000))).get(stack.id)!;
      assert.deepEqual(
        history.map((e) => [e.toState, e.activityAt?.toISOString()]),
        [
          ['LAUNCH_PENDING', at(0).toISOString()],
          ['CREATING', at(0).toISOString()],
          ['READY', at(0).toISOString()],
          ['SUSPEND_PENDING', at(1000).toISOString()],
          ['SUSPENDING', at(1000).toISOString()],
          ['SUSPENDED', at(1000).toISOString()],
        ],
      );
      const used = usageSeconds(segments(history, at(5000)));
      assert.deepEqual(used, { running: 1120, suspended: 3870, shelved: 0, learning: 990 });
      assert.deepEqual((await usage.histories(['none'])).get('none'), []);
      assert.deepEqual((await usage.billedStacks({ context: 'c1', createdBefore: at(1) })).map((s) => s.id), [stack.id]);
      assert.deepEqual(await usage.billedStacks({ context: 'c1', createdBefore: at(0) }), [], 'created at the end of the window: outside it');
      const changed = await usage.changedSince(0, 10);
      assert.deepEqual(changed.map((c) => [c.id, c.lastId]), [[stack.id, await usage.lastEventId()]]);
    });
  });
}
