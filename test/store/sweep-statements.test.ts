import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { nextAction } from '../../src/domain/policy.ts';
import { STATES } from '../../src/domain/states.ts';
import { reaper, suspender } from '../../src/services/sweeps.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();
const now = new Date('2026-03-01T10:00:00Z');
const at = (seconds: number | null) => (seconds === null ? null : new Date(now.getTime() + seconds * 1000).toISOString());

/** Rows straight into the table, in any state: what the sweeps judge, not how the stacks got there. */
async function seed(t: TestDatabase, rows: Array<Record<string, unknown>>): Promise<void> {
  await t.db.query(
    `INSERT INTO stacks (id, learner, context, lab, state, provider_stack_name, suspend_timeout, delete_age, shelve_after, launch_timeout, attempts,
                         last_activity_at, suspend_at, suspend_by, delete_by, shelve_at, op_deadline, departed_at, departure_suspend_at,
                         state_changed_at, created_at, updated_at)
     SELECT id, id, 'c', 'lab', state, 'stacklab-' || id || '-1', 120, 3600, COALESCE(shelve_after, 0), 900, attempts,
            last_activity_at, suspend_at, suspend_by, delete_by, shelve_at, op_deadline, departed_at, departure_suspend_at,
            state_changed_at, state_changed_at, state_changed_at
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, state text, attempts int, last_activity_at timestamptz, suspend_at timestamptz,
                                              suspend_by timestamptz, delete_by timestamptz, shelve_after int, shelve_at timestamptz,
                                              op_deadline timestamptz, departed_at timestamptz, departure_suspend_at timestamptz,
                                              state_changed_at timestamptz)`,
    [JSON.stringify(rows)],
  );
}

for (const backend of BACKENDS) {
  describe(`the sweeps' statements on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestDatabase;
    let store: StackStore;
    before(async () => {
      t = await freshDatabase(backend);
      store = new StackStore(t.db);
    });
    after(async () => t?.drop());

    test('the suspender and the reaper move exactly the stacks domain/policy.ts nextAction names', async () => {
      // Every state, with review times and activity before, at and after their deadlines (timeouts 120 s,
      // 3600 s, and a shelve time of 3000 s or never).
      const rows = [];
      for (const state of STATES)
        for (const suspendAt of [null, -1000, 0, 1000])
          for (const activity of [-7200, -3600, -120, -10])
            for (const suspendBy of [null, 0, 1])
              for (const deleteBy of [null, -1000, 0, 1000])
                for (const shelveAt of [null, -1000, 0, 1000])
                  rows.push({
                    id: `${state}/${suspendAt}/${activity}/${suspendBy}/${deleteBy}/${shelveAt}`,
                    state,
                    attempts: 99, // beyond any retry limit: retries are another rule, tested below
                    last_activity_at: at(activity),
                    suspend_at: at(suspendAt),
                    suspend_by: at(suspendBy),
                    delete_by: at(deleteBy),
                    shelve_after: shelveAt === null ? 0 : 3000,
                    shelve_at: at(shelveAt),
                    op_deadline: null,
                    state_changed_at: at(-10_000),
                  });
      await seed(t, rows);
      const before = await store.list({ limit: rows.length + 1 });
      assert.equal(before.length, rows.length);
      // Deletion wins when both apply (nextAction), so the reaper goes first; no retries here (0 attempts allowed).
      const settings = { batch: rows.length, suspendAttempts: 0, deleteAttempts: 0, retryBackoff: 0 };
      await reaper(store, now, settings);
      await suspender(store, now, settings);
      const after = new Map((await store.list({ limit: rows.length + 1 })).map((s) => [s.id, s.state]));
      const disagree: string[] = [];
      let acted = 0;
      for (const stack of before) {
        const state = after.get(stack.id)!;
        const did =
          state === stack.state ? 'none' : state === 'DELETE_PENDING' ? 'delete' : state === 'SUSPEND_PENDING' ? 'suspend' : state === 'SHELVE_PENDING' ? 'shelve' : `moved to ${state}`;
        if (did !== 'none') acted++;
        const expected = nextAction(stack, now);
        if (did !== expected) disagree.push(`${stack.id}: the sweeps did ${did}, nextAction says ${expected}`);
      }
      assert.deepEqual(disagree.slice(0, 20), [], `${disagree.length} cases disagree`);
      assert.ok(acted > 100, `the cases should exercise both sweeps (acted on ${acted})`);
      const shelved = [...after.values()].filter((state) => state === 'SHELVE_PENDING').length;
      assert.ok(shelved > 10, `the cases should exercise the shelve tier (shelved ${shelved})`);
    });

    test('the suspender moves exactly the departed stacks nextAction names: grace over and no activity since the departure', async () => {
      const rows = [];
      for (const state of ['READY', 'SUSPENDED', 'CREATING', 'SUSPEND_PENDING'] as const)
        for (const suspendAt of [null, 1000])
          for (const activity of [-120, -60, -59, -10])
            for (const [departed, grace] of [[null, null], [-60, 0], [-60, 1], [-30, -1]] as const)
              rows.push({
                id: `departure/${state}/${suspendAt}/${activity}/${departed}/${grace}`,
                state,
                attempts: 0,
                last_activity_at: at(activity),
                suspend_at: at(suspendAt),
                delete_by: at(100_000),
                departed_at: at(departed),
                departure_suspend_at: at(grace),
                state_changed_at: at(-10_000),
              });
      await seed(t, rows);
      const ids = new Set(rows.map((r) => r.id));
      const before = (await store.list({ limit: 100_000 })).filter((s) => ids.has(s.id));
      await suspender(store, now, { batch: 10_000, suspendAttempts: 0, deleteAttempts: 0, retryBackoff: 0 });
      const after = new Map((await store.list({ limit: 100_000 })).map((s) => [s.id, s.state]));
      const disagree = before.filter((s) => (after.get(s.id) === 'SUSPEND_PENDING' && s.state !== 'SUSPEND_PENDING' ? 'suspend' : 'none') !== nextAction(s, now)).map((s) => s.id);
      assert.deepEqual(disagree, []);
      const departedSuspends = before.filter((s) => s.departedAt && s.state === 'READY' && after.get(s.id) === 'SUSPEND_PENDING').length;
      assert.ok(departedSuspends >= 4, `the cases should exercise departures (suspended ${departedSuspends})`);
    });

    test('a failed suspend is retried only after its back-off and below the attempts limit', async () => {
      await seed(t, [
        { id: 'retry-1', state: 'SUSPEND_FAILED', attempts: 1, last_activity_at: at(-100), state_changed_at: at(-30) },
        { id: 'retry-3', state: 'SUSPEND_FAILED', attempts: 3, last_activity_at: at(-100), state_changed_at: at(-3000) },
      ]);
      const retry = (when: Date) =>
        store.retryFailed('SUSPEND_FAILED', { now: when, limit: 10, maxAttempts: 3, backoffSeconds: 60, reason: 'retrying a failed suspend', actor: 'suspender' });
      assert.deepEqual(await retry(now), [], 'retried before its back-off (60 s x 1 attempt) passed');
      const moved = await retry(new Date(now.getTime() + 31_000));
      assert.deepEqual(moved.map((s) => [s.id, s.state]), [['retry-1', 'SUSPEND_PENDING']]);
      const events = await store.events('retry-1');
      assert.deepEqual(events.map((e) => [e.fromState, e.toState, e.reason, e.actor]), [['SUSPEND_FAILED', 'SUSPEND_PENDING', 'retrying a failed suspend', 'suspender']]);
    });

    test("a suspended stack's shelve review time follows its activity; a failed shelve is retried after its back-off", async () => {
      // Review time passed, but activity since then moves the real deadline later: not shelved, and the review time moves.
      await seed(t, [
        { id: 'shelve-active', state: 'SUSPENDED', attempts: 0, last_activity_at: at(-100), shelve_after: 3000, shelve_at: at(-10), state_changed_at: at(-100) },
        { id: 'shelve-due', state: 'SUSPENDED', attempts: 0, last_activity_at: at(-3001), shelve_after: 3000, shelve_at: at(-1), state_changed_at: at(-3000) },
        { id: 'shelve-never', state: 'SUSPENDED', attempts: 0, last_activity_at: at(-99_999), shelve_after: 0, shelve_at: null, state_changed_at: at(-99_000) },
        { id: 'shelve-failed', state: 'SHELVE_FAILED', attempts: 1, last_activity_at: at(-9000), shelve_after: 3000, state_changed_at: at(-30) },
      ]);
      const moved = await store.markDormant({ now, limit: 10, reason: 'dormant', actor: 'suspender' });
      assert.deepEqual(moved.map((s) => [s.id, s.state]), [['shelve-due', 'SHELVE_PENDING']]);
      assert.deepEqual((await store.events('shelve-due')).map((e) => [e.fromState, e.toState, e.actor]), [['SUSPENDED', 'SHELVE_PENDING', 'suspender']]);
      assert.equal(await store.reviewShelveAt(now, 10), 1, 'the passed review time of the stack still in use moves');
      const active = (await store.get('shelve-active'))!;
      assert.equal(active.shelveAt?.getTime(), new Date(at(2900)!).getTime(), 'its deadline is last activity + shelve_after');
      assert.equal((await store.get('shelve-never'))!.shelveAt, null, 'a stack that never shelves has no deadline, however old');
      const retry = (when: Date) => store.retryFailed('SHELVE_FAILED', { now: when, limit: 10, maxAttempts: 3, backoffSeconds: 60, reason: 'retrying a failed shelve', actor: 'suspender' });
      assert.deepEqual(await retry(now), [], 'retried before its back-off');
      assert.deepEqual((await retry(new Date(now.getTime() + 60_000))).map((s) => [s.id, s.state]), [['shelve-failed', 'SHELVE_PENDING']]);
    });

    test('the watchdog statement fails an operation past its deadline with the message, clearing its lease', async () => {
      await seed(t, [
        { id: 'late', state: 'CREATING', attempts: 0, last_activity_at: at(-100), op_deadline: at(-1), state_changed_at: at(-900) },
        { id: 'on-time', state: 'CREATING', attempts: 0, last_activity_at: at(-100), op_deadline: at(1), state_changed_at: at(-900) },
      ]);
      await t.db.query(`UPDATE stacks SET lease_owner = 'w1', lease_until = $1 WHERE id IN ('late', 'on-time')`, [at(60)]);
      const moved = await store.timeOut('CREATING', 'The launch did not finish in time.', { now, limit: 10, reason: 'timed out (watchdog)', actor: 'watchdog' });
      assert.deepEqual(moved.map((s) => s.id), ['late']);
      const late = (await store.get('late'))!;
      assert.deepEqual([late.state, late.error, late.errorCode, late.attempts, late.leaseOwner], ['LAUNCH_FAILED', 'The launch did not finish in time.', 'TIMEOUT', 1, null]);
      assert.equal((await store.get('on-time'))!.state, 'CREATING');
    });
  });
}
