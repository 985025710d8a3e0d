import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { IllegalTransitionError, STATES, canTransition, isLegalStep, type StackState } from '../../src/domain/states.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { illegalSteps } from '../support/history-scan.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`the transition table is law on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestDatabase;
    let store: StackStore;
    const now = new Date('2026-03-01T10:00:00Z');
    before(async () => {
      t = await freshDatabase(backend);
      store = new StackStore(t.db);
      await store.insertOrGet({ id: 's1', learner: 'alice', context: 'c', lab: 'lab', run: 'r', providerStackName: 'stacklab-s1-1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now }, 'test');
      for (const to of ['CREATING', 'READY'] as const) await store.transition({ id: 's1', from: [to === 'CREATING' ? 'LAUNCH_PENDING' : 'CREATING'], to, reason: reason(to === 'CREATING' ? 'history.claimedByWorker' : 'history.created'), actor: 'test', now });
    });
    after(async () => t?.drop());

    test("migration 006's pairs are states.ts's: every (from, to), as the database judges it", async () => {
      // An applied migration never changes, so a changed table in states.ts needs a new migration; this says so.
      const rows = await t.db.query<{ f: string | null; s: string; transition: boolean | null; step: boolean }>(
        `SELECT f, s, stacklab_legal_transition(f, s) AS transition, stacklab_legal_step(f, s) AS step
         FROM unnest($1::text[]) AS f CROSS JOIN unnest($2::text[]) AS s`,
        [[...STATES, null], STATES],
      );
      assert.equal(rows.length, (STATES.length + 1) * STATES.length);
      const differ = rows.filter((r) => (r.f !== null && (r.transition ?? false) !== canTransition(r.f as StackState, r.s as StackState)) || r.step !== isLegalStep(r.f as StackState | null, r.s as StackState));
      assert.deepEqual(
        differ.map((r) => `${r.f} -> ${r.s}: database says transition ${r.transition}, step ${r.step}`),
        [],
        'the database and src/domain/states.ts disagree; write a new migration that replaces stacklab_legal_transition',
      );
    });

    test('the store refuses an illegal pair, naming it, before it reaches the database', async () => {
      await assert.rejects(
        store.transition({ id: 's1', from: ['READY'], to: 'RESUMING', reason: reason('history.resumeRequested'), actor: 'test', now }),
        (error: unknown) => error instanceof IllegalTransitionError && /READY -> RESUMING/.test(error.message),
      );
      // Also when only one of several from-states is illegal: a caller's list is all legal or a bug.
      await assert.rejects(store.transition({ id: 's1', from: ['SUSPENDED', 'READY'], to: 'SHELVE_PENDING', reason: reason('history.resumeRequested'), actor: 'test', now }), /READY -> SHELVE_PENDING/);
      assert.equal((await store.get('s1'))!.state, 'READY');
      assert.equal((await store.events('s1')).length, 3, 'a refused transition left an event');
    });

    test('the database refuses an illegal state change from any writer, and lets legal ones and non-changes through', async () => {
      await assert.rejects(t.db.query(`UPDATE stacks SET state = 'RESUMING' WHERE id = 's1'`), /illegal stack transition READY -> RESUMING \(stack s1\)/);
      await assert.rejects(t.db.query(`UPDATE stacks SET state = 'LAUNCH_PENDING' WHERE id = 's1'`), /READY -> LAUNCH_PENDING/);
      await t.db.query(`UPDATE stacks SET state = 'READY', error = NULL WHERE id = 's1'`);
      await t.db.query(`UPDATE stacks SET state = 'SUSPENDED' WHERE id = 's1'`);
      await t.db.query(`UPDATE stacks SET state = 'READY' WHERE id = 's1'`);
      assert.equal((await store.get('s1'))!.state, 'READY');
    });

    test('the database refuses an illegal history entry, and keeps creations and lease take-overs', async () => {
      const event = (from: string | null, to: string) =>
        t.db.query(`INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at) VALUES ('s1', $1, $2, 'test', 'test', now())`, [from, to]);
      await assert.rejects(event('READY', 'RESUMING'), /illegal stack history entry READY -> RESUMING \(stack s1\)/);
      await assert.rejects(event(null, 'READY'), /illegal stack history entry nothing -> READY/);
      await assert.rejects(event('READY', 'READY'), /READY -> READY/);
      await assert.rejects(t.db.query(`UPDATE stack_events SET to_state = 'RESUMING' WHERE stack_id = 's1' AND to_state = 'READY'`), /READY|RESUMING/);
      await event('CREATING', 'CREATING');
      assert.deepEqual(await illegalSteps(t.db), []);
    });
  });

  describe(`staff actions in the history on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    test('a staff action is recorded in the stack\'s current state with its actor; an illegal state change is still refused, also dressed as one', async () => {
      const t = await freshDatabase(backend);
      try {
        const store = new StackStore(t.db);
        const now = new Date('2026-03-01T10:00:00Z');
        await store.insertOrGet({ id: 'n1', learner: 'alice', context: 'c', lab: 'lab', run: 'r', providerStackName: 'stacklab-n1-1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now }, 'test');
        for (const [from, to] of [['LAUNCH_PENDING', 'CREATING'], ['CREATING', 'READY']] as const) await store.transition({ id: 'n1', from: [from], to, reason: reason(to === 'CREATING' ? 'history.claimedByWorker' : 'history.created'), actor: 'test', now });
        const readyAt = await store.enteredAt('n1', 'READY');
        const later = new Date(now.getTime() + 60_000);

        const note = await store.recordStaffAction({ id: 'n1', what: reason('history.tookOver'), actor: 'instructor:teacher', now: later });
        assert.deepEqual(
          note && { kind: note.kind, from: note.fromState, to: note.toState, actor: note.actor, reason: note.reason, at: note.at.toISOString() },
          { kind: 'staff_action', from: 'READY', to: 'READY', actor: 'instructor:teacher', reason: "took over the learner's terminal", at: later.toISOString() },
        );
        assert.equal(await store.recordStaffAction({ id: 'missing', what: reason('history.watchStarted'), actor: 'operator:ada', now }), null, 'no stack, no entry');
        assert.deepEqual((await store.events('n1')).map((e) => `${e.kind}:${e.fromState}->${e.toState}`), ['transition:null->LAUNCH_PENDING', 'transition:LAUNCH_PENDING->CREATING', 'transition:CREATING->READY', 'staff_action:READY->READY']);
        assert.equal((await store.enteredAt('n1', 'READY'))?.getTime(), readyAt?.getTime(), 'a staff action is not an entry into the state');

        // Real state changes are judged by the table as before, from the store and from any writer.
        await assert.rejects(store.transition({ id: 'n1', from: ['READY'], to: 'RESUMING', reason: reason('history.resumeRequested'), actor: 'test', now }), IllegalTransitionError);
        const insert = (kind: string, from: string | null, to: string) =>
          t.db.query(`INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at, kind) VALUES ('n1', $1, $2, 'test', 'operator:ada', now(), $3)`, [from, to, kind]);
        await assert.rejects(insert('transition', 'READY', 'READY'), /illegal stack history entry READY -> READY/);
        await assert.rejects(insert('staff_action', 'READY', 'SUSPENDED'), /illegal staff action in stack history READY -> SUSPENDED \(stack n1\)/);
        await assert.rejects(insert('staff_action', 'SUSPENDED', 'SUSPENDED'), /illegal staff action in stack history SUSPENDED -> SUSPENDED/, 'not the state the stack is in');
        await assert.rejects(insert('staff_action', null, 'READY'), /illegal staff action/);
        await assert.rejects(insert('something', 'CREATING', 'READY'), /stack_events_kind_check/, 'only the two kinds');
        await assert.rejects(t.db.query(`UPDATE stack_events SET kind = 'transition' WHERE stack_id = 'n1' AND kind = 'staff_action'`), /illegal stack history entry READY -> READY/);
        await assert.rejects(t.db.query(`UPDATE stack_events SET to_state = 'SUSPENDED' WHERE stack_id = 'n1' AND kind = 'staff_action'`), /illegal staff action/);
        assert.equal((await store.get('n1'))!.state, 'READY');
        assert.equal((await store.events('n1')).length, 4, 'nothing refused left an entry');
      } finally {
        await t.drop();
      }
    });
  });

  describe(`the history scan on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    test('a database whose histories hold an illegal step fails its drop, naming the step', async () => {
      const t = await freshDatabase(backend);
      const store = new StackStore(t.db);
      const now = new Date('2026-03-01T10:00:00Z');
      await store.insertOrGet({ id: 'x1', learner: 'bob', context: 'c', lab: 'lab', run: 'r', providerStackName: 'stacklab-x1-1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now }, 'test');
      assert.deepEqual(await illegalSteps(t.db), []);
      // The database would refuse it; a missing or wrong trigger would not, and the scan must still see it.
      await t.db.query('ALTER TABLE stack_events DISABLE TRIGGER stack_events_legal');
      await t.db.query(`INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at) VALUES ('x1', 'LAUNCH_PENDING', 'READY', 'injected', 'test', now())`);
      await assert.rejects(t.drop(), /LAUNCH_PENDING -> READY: 1 time\(s\), first in stack x1 \("injected"\)/);
    });
  });
}
