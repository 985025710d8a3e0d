import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { nextAction } from '../../src/domain/policy.ts';
import { STATES } from '../../src/domain/states.ts';
import { reaper, suspender } from '../../src/services/sweeps.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { roundTrips } from '../support/round-trips.ts';

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

    test('the suspender and the reaper move exactly the stacks domain/policy.ts nextAction names (the store only prefilters)', async () => {
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

    test('a stack written after the sweep read it is not moved: the keepalive wins, and the next sweep judges it again', async () => {
      await seed(t, [
        { id: 'cas-idle', state: 'READY', attempts: 0, last_activity_at: at(-200), suspend_at: at(-80), delete_by: at(100_000), state_changed_at: at(-1000) },
      ]);
      const candidates = (await store.suspendCandidates(now, 100_000)).filter((c) => c.stack.id === 'cas-idle');
      assert.equal(nextAction(candidates[0]!.stack, now), 'suspend');
      await store.touchReady(['cas-idle'], [now]);
      assert.deepEqual(await store.requestSuspend(candidates.map((c) => ({ ...c, reason: reason('history.idle') })), { now, actor: 'suspender' }), []);
      assert.equal((await store.get('cas-idle'))!.state, 'READY');
      assert.deepEqual(await store.events('cas-idle'), []);
    });

    test('an idle review time passed by a stack still in use moves to its deadline, and a departure activity cancelled is cleared', async () => {
      await seed(t, [
        { id: 'review-active', state: 'READY', attempts: 0, last_activity_at: at(-10), suspend_at: at(-5), delete_by: at(100_000), state_changed_at: at(-1000) },
        { id: 'review-came-back', state: 'READY', attempts: 0, last_activity_at: at(-10), suspend_at: at(500), delete_by: at(100_000), departed_at: at(-60), departure_suspend_at: at(-30), state_changed_at: at(-1000) },
      ]);
      await suspender(store, now, { batch: 100_000, suspendAttempts: 0, deleteAttempts: 0, retryBackoff: 0 });
      const stored = await t.db.query<{ id: string; suspend_at: Date | string; departed_at: Date | null; departure_suspend_at: Date | null }>(
        `SELECT id, suspend_at, departed_at, departure_suspend_at FROM stacks WHERE id LIKE 'review-%' ORDER BY id`,
      );
      assert.deepEqual(
        stored.map((r) => [r.id, new Date(r.suspend_at).toISOString(), r.departed_at, r.departure_suspend_at]),
        [
          ['review-active', at(110), null, null],
          ['review-came-back', at(500), null, null],
        ],
      );
      for (const id of ['review-active', 'review-came-back']) assert.equal((await store.get(id))!.state, 'READY');
      const left = (await store.suspendCandidates(now, 100_000)).filter((c) => c.stack.id.startsWith('review-'));
      assert.deepEqual(left, [], 'neither comes back to the next sweep');
    });

    test('a failed suspend is retried only after its back-off and below the attempts limit', async () => {
      await seed(t, [
        { id: 'retry-1', state: 'SUSPEND_FAILED', attempts: 1, last_activity_at: at(-100), state_changed_at: at(-30) },
        { id: 'retry-3', state: 'SUSPEND_FAILED', attempts: 3, last_activity_at: at(-100), state_changed_at: at(-3000) },
      ]);
      const retry = (when: Date) =>
        store.retryFailed('SUSPEND_FAILED', { now: when, limit: 10, maxAttempts: 3, backoffSeconds: 60, reason: reason('history.retrySuspend'), actor: 'suspender' });
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
      await suspender(store, now, { batch: 10, suspendAttempts: 3, deleteAttempts: 0, retryBackoff: 60 });
      const ids = ['shelve-active', 'shelve-due', 'shelve-never', 'shelve-failed'];
      const states = await Promise.all(ids.map(async (id) => [id, (await store.get(id))!.state]));
      assert.deepEqual(Object.fromEntries(states), { 'shelve-active': 'SUSPENDED', 'shelve-due': 'SHELVE_PENDING', 'shelve-never': 'SUSPENDED', 'shelve-failed': 'SHELVE_FAILED' });
      assert.deepEqual((await store.events('shelve-due')).map((e) => [e.fromState, e.toState, e.actor]), [['SUSPENDED', 'SHELVE_PENDING', 'suspender']]);
      const stored = await t.db.query<{ shelve_at: Date | string }>(`SELECT shelve_at FROM stacks WHERE id = 'shelve-active'`);
      assert.equal(new Date(stored[0]!.shelve_at).getTime(), new Date(at(2900)!).getTime(), 'the passed review time of the stack still in use moves to its deadline');
      const active = (await store.get('shelve-active'))!;
      assert.equal(active.shelveAt?.getTime(), new Date(at(2900)!).getTime(), 'its deadline is last activity + shelve_after');
      assert.equal((await store.get('shelve-never'))!.shelveAt, null, 'a stack that never shelves has no deadline, however old');
      const retry = (when: Date) => store.retryFailed('SHELVE_FAILED', { now: when, limit: 10, maxAttempts: 3, backoffSeconds: 60, reason: reason('history.retryShelve'), actor: 'suspender' });
      assert.deepEqual(await retry(now), [], 'retried before its back-off');
      assert.deepEqual((await retry(new Date(now.getTime() + 60_000))).map((s) => [s.id, s.state]), [['shelve-failed', 'SHELVE_PENDING']]);
    });

    test('a sweep waits for three round trips in a row, not one per statement: its independent parts run side by side', async () => {
      // A day later, with work in every part of both sweeps: an idle stack, one in use past its review
      // time, a dormant one, one whose shelve review time passed, a failed suspend, shelve and delete.
      const day = 86_400;
      await seed(t, [
        { id: 'rt-idle', state: 'READY', attempts: 0, last_activity_at: at(day - 200), suspend_at: at(day - 80), delete_by: at(day + 100_000), state_changed_at: at(day - 1000) },
        { id: 'rt-in-use', state: 'READY', attempts: 0, last_activity_at: at(day - 10), suspend_at: at(day - 5), delete_by: at(day + 100_000), state_changed_at: at(day - 1000) },
        { id: 'rt-dormant', state: 'SUSPENDED', attempts: 0, last_activity_at: at(day - 3001), shelve_after: 3000, shelve_at: at(day - 1), delete_by: at(day + 100_000), state_changed_at: at(day - 3000) },
        { id: 'rt-shelve-review', state: 'SUSPENDED', attempts: 0, last_activity_at: at(day - 100), shelve_after: 3000, shelve_at: at(day - 10), delete_by: at(day + 100_000), state_changed_at: at(day - 100) },
        { id: 'rt-suspend-failed', state: 'SUSPEND_FAILED', attempts: 1, last_activity_at: at(day - 100), state_changed_at: at(day - 3000) },
        { id: 'rt-shelve-failed', state: 'SHELVE_FAILED', attempts: 1, last_activity_at: at(day - 100), state_changed_at: at(day - 3000) },
        { id: 'rt-abandoned', state: 'SUSPENDED', attempts: 0, last_activity_at: at(day - 5000), delete_by: at(day - 1), state_changed_at: at(day - 5000) },
        // Its review time passed, but its activity is newer than the delete age (3600 s): the reaper moves its review time.
        { id: 'rt-kept', state: 'SUSPENDED', attempts: 0, last_activity_at: at(day - 10), delete_by: at(day - 1), state_changed_at: at(day - 5000) },
        { id: 'rt-delete-failed', state: 'DELETE_FAILED', attempts: 1, last_activity_at: at(day - 100), state_changed_at: at(day - 3000) },
      ]);
      const later = new Date(now.getTime() + day * 1000);
      const settings = { batch: 10_000, suspendAttempts: 3, deleteAttempts: 3, retryBackoff: 60 };
      const counter = roundTrips(t.db);
      const reaped = await counter.count(() => reaper(store, later, settings));
      const swept = await counter.count(() => suspender(store, later, settings));
      const states = Object.fromEntries(await Promise.all(['rt-idle', 'rt-in-use', 'rt-dormant', 'rt-shelve-review', 'rt-suspend-failed', 'rt-shelve-failed', 'rt-abandoned', 'rt-kept', 'rt-delete-failed'].map(async (id) => [id, (await store.get(id))!.state])));
      assert.deepEqual(states, {
        'rt-idle': 'SUSPEND_PENDING',
        'rt-in-use': 'READY',
        'rt-dormant': 'SHELVE_PENDING',
        'rt-shelve-review': 'SUSPENDED',
        'rt-suspend-failed': 'SUSPEND_PENDING',
        'rt-shelve-failed': 'SHELVE_PENDING',
        'rt-abandoned': 'DELETE_PENDING',
        'rt-kept': 'SUSPENDED',
        'rt-delete-failed': 'DELETE_PENDING',
      });
      // In sequence the suspender's eight statements were eight round trips and the reaper's four were four.
      assert.equal(swept.waves, 3, 'the suspender: candidates, move, review');
      assert.equal(reaped.waves, 3, 'the reaper: candidates, move, review');
    });

    test('the watchdog statement fails an operation past its deadline with the message, clearing its lease', async () => {
      await seed(t, [
        { id: 'late', state: 'CREATING', attempts: 0, last_activity_at: at(-100), op_deadline: at(-1), state_changed_at: at(-900) },
        { id: 'on-time', state: 'CREATING', attempts: 0, last_activity_at: at(-100), op_deadline: at(1), state_changed_at: at(-900) },
      ]);
      await t.db.query(`UPDATE stacks SET lease_owner = 'w1', lease_until = $1 WHERE id IN ('late', 'on-time')`, [at(60)]);
      const moved = await store.timeOut('CREATING', 'The launch did not finish in time.', { now, limit: 10, reason: reason('history.watchdog'), actor: 'watchdog' });
      assert.deepEqual(moved.map((s) => s.id), ['late']);
      const late = (await store.get('late'))!;
      assert.deepEqual([late.state, late.error, late.errorCode, late.attempts, late.leaseOwner], ['LAUNCH_FAILED', 'The launch did not finish in time.', 'TIMEOUT', 1, null]);
      assert.equal((await store.get('on-time'))!.state, 'CREATING');
    });
  });
}
