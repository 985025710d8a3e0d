import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { stackColumns } from '../../src/db/stack-rows.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { budgetExtended, reason } from '../../src/infra/i18n/history-reasons.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`stack store on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestDatabase;
    let store: StackStore;
    const now = new Date('2026-03-01T10:00:00Z');
    before(async () => {
      t = await freshDatabase(backend);
      store = new StackStore(t.db);
    });
    after(async () => t?.drop());

    const insert = (id: string, learner = 'alice') =>
      store.insertOrGet({ id, learner, context: 'course-1', lab: 'lab', run: 'run', providerStackName: `stacklab-${id}-1`, suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now }, 'test');

    test('one stack per (learner, context, lab): a second insert returns the first', async () => {
      const a = await insert('s1');
      const b = await insert('s2');
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.stack.id, 's1');
      assert.equal(a.stack.state, 'LAUNCH_PENDING');
    });

    test('a transition checks the current state in the same statement', async () => {
      const wrong = await store.transition({ id: 's1', from: ['READY'], to: 'SUSPEND_PENDING', reason: reason('history.suspendRequested'), actor: 'test', now });
      assert.equal(wrong, null, 'moved a stack that was not in the from state');
      assert.equal((await store.get('s1'))!.state, 'LAUNCH_PENDING');
      const right = await store.transition({ id: 's1', from: ['LAUNCH_PENDING'], to: 'CREATING', reason: reason('history.claimedByWorker'), actor: 'test', now });
      assert.equal(right?.state, 'CREATING');
    });

    test('every transition appends one event with from, to, reason (English, and its catalogue key and values), actor', async () => {
      const events = await store.events('s1');
      assert.deepEqual(
        events.map((e) => [e.fromState, e.toState, e.reason, e.reasonKey, e.reasonValues, e.actor]),
        [
          [null, 'LAUNCH_PENDING', 'launch requested', 'history.launchRequested', {}, 'test'],
          ['LAUNCH_PENDING', 'CREATING', 'claimed by a worker', 'history.claimedByWorker', {}, 'test'],
        ],
      );
    });

    test('the CHECK constraint refuses an unknown state', async () => {
      await assert.rejects(t.db.query(`UPDATE stacks SET state = 'BOGUS' WHERE id = 's1'`));
    });

    test('a lease guard stops a worker that lost its lease', async () => {
      await store.update('s1', ['CREATING'], { lease_owner: 'w1' }, now);
      const stolen = await store.transition({ id: 's1', from: ['CREATING'], to: 'READY', reason: reason('history.created'), actor: 'w2', now, guard: { leaseOwner: 'w2' } });
      assert.equal(stolen, null);
      const own = await store.transition({ id: 's1', from: ['CREATING'], to: 'READY', reason: reason('history.created'), actor: 'w1', now, guard: { leaseOwner: 'w1' } });
      assert.equal(own?.state, 'READY');
    });

    test('reads name every column of stacks but the sealed secrets, and say whether secrets exist', async () => {
      const columns = await t.db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'stacks' AND table_schema = current_schema()`,
      );
      const read = stackColumns().split(', ').map((c) => c.replace(/^\(secrets IS NOT NULL\) AS /, ''));
      const expected = columns.map((c) => c.column_name).filter((c) => c !== 'secrets').concat('has_secrets');
      assert.deepEqual([...read].sort(), expected.sort(), 'a stacks column is missing from stackColumns() (or one is named that does not exist)');
      await store.update('s1', ['READY'], { secrets: 'sealed-blob' }, now);
      const stack = (await store.get('s1'))!;
      assert.equal(stack.hasSecrets, true);
      assert.ok(!JSON.stringify(stack).includes('sealed-blob'), 'a routine read carried the sealed secrets');
      assert.equal(await store.getSealedSecrets('s1'), 'sealed-blob');
    });

    test('no index covers what a keepalive writes, so its update stays heap-only', async () => {
      const indexes = await t.db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'stacks' AND schemaname = current_schema()`);
      assert.ok(indexes.length >= 8, 'the stacks indexes were not found');
      for (const { indexdef } of indexes) assert.doesNotMatch(indexdef, /last_activity_at|updated_at/, `an index covers a keepalive column: ${indexdef}`);
    });

    test('the keepalive write relaxes durability for its own transaction only', async () => {
      const touched = await store.touchReady(['s1'], [new Date(now.getTime() + 5_000)]);
      assert.equal(touched[0]?.lastActivityAt.getTime(), now.getTime() + 5_000);
      assert.equal(touched[0]?.suspendAt?.getTime(), now.getTime() + 5_000 + 120_000);
      const [setting] = await t.db.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      assert.equal(setting?.synchronous_commit, 'on', 'the relaxed commit leaked into the session');
    });

    test('claims never hand one stack to two workers, even when they claim at once', async () => {
      for (let i = 0; i < 40; i++) await insert(`c${i}`, `learner-${i}`);
      const claim = (worker: string) =>
        store.claim({ worker, now, leaseUntil: new Date(now.getTime() + 60_000), limit: 15, suspendTaskTimeout: 900, deleteTaskTimeout: 900 });
      const results = await Promise.all([claim('a'), claim('b'), claim('c')]);
      const ids = results.flat().map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, 'a stack was claimed twice');
      assert.equal(ids.length, 40);
      assert.ok(results.flat().every((s) => s.state === 'CREATING'));
    });

    test('an in-progress stack whose lease expired is taken over; one with a live lease is not', async () => {
      const later = new Date(now.getTime() + 120_000);
      const taken = await store.claim({ worker: 'd', now: later, leaseUntil: new Date(later.getTime() + 60_000), limit: 100, suspendTaskTimeout: 900, deleteTaskTimeout: 900 });
      assert.equal(taken.length, 40);
      assert.ok(taken.every((s) => s.leaseOwner === 'd' && s.claimedFrom === 'CREATING'));
      const none = await store.claim({ worker: 'e', now: later, leaseUntil: later, limit: 100, suspendTaskTimeout: 900, deleteTaskTimeout: 900 });
      assert.equal(none.length, 0);
    });

    test('each history entry names its catalogue message and values (migration 017): claims, take-overs, transitions, staff actions, sweeps', async () => {
      const said = async (id: string) => (await store.events(id)).map((e) => [e.reasonKey, e.reasonValues, e.reason]);
      assert.deepEqual(await said('c0'), [
        ['history.launchRequested', {}, 'launch requested'],
        ['history.claimedByWorker', {}, 'claimed by a worker'],
        ['history.leaseTakenOver', {}, "taken over after the previous worker's lease expired"],
      ]);
      const failedOver = reason('history.launchFailedNext', { provider: 'east', detail: 'quota exceeded', next: 'west' });
      await store.transition({ id: 'c1', from: ['CREATING'], to: 'LAUNCH_PENDING', reason: failedOver, actor: 'worker:d', now });
      assert.deepEqual((await said('c1')).at(-1), [
        'history.launchFailedNext',
        { provider: 'east', detail: 'quota exceeded', next: 'west' },
        "Launch failed on provider 'east': quota exceeded; trying 'west' next",
      ]);
      await store.recordStaffAction({ id: 's1', what: budgetExtended(5400, 'retake'), actor: 'instructor:tess', now });
      assert.deepEqual((await said('s1')).at(-1), [
        'history.budgetExtendedNote',
        { hours: 1, minutes: 30, seconds: 0, note: 'retake' },
        'added 1 h 30 min of lab time to the budget (retake)',
      ]);
      const late = new Date(now.getTime() + 3_600_000);
      await store.update('c2', ['CREATING'], { op_deadline: now }, now);
      const timedOut = await store.timeOut('CREATING', 'The launch did not finish in time.', { now: late, limit: 1, reason: reason('history.watchdog'), actor: 'watchdog' });
      assert.equal(timedOut.length, 1);
      assert.deepEqual((await said(timedOut[0]!.id)).at(-1), ['history.watchdog', {}, 'timed out (watchdog)']);
    });

    test('an entry written before migration 017 has no key and reads as its stored text; a key never goes without its values', async () => {
      await t.db.query(`INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at, kind) VALUES ('s1', 'READY', 'READY', 'an old note', 'operator:ada', now(), 'staff_action')`);
      const old = (await store.events('s1')).at(-1)!;
      assert.deepEqual([old.reason, old.reasonKey, old.reasonValues], ['an old note', null, null]);
      await assert.rejects(
        t.db.query(`INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, actor, at, kind) VALUES ('s1', 'READY', 'READY', 'x', 'history.tookOver', 'operator:ada', now(), 'staff_action')`),
        /stack_events_reason_said_check/,
      );
    });
  });
}
