import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SHELVE_AFTER, SUSPEND_ONLY, defaultShelveAfter, effectiveShelveAfter } from '../../src/domain/dormancy.ts';
import { deadline, nextAction } from '../../src/domain/policy.ts';
import {
  CLAIM_TARGET,
  FAILED_STATES,
  IN_PROGRESS_STATES,
  IllegalTransitionError,
  OUTCOME,
  PENDING_STATES,
  STATES,
  TRANSITIONS,
  assertTransitions,
  canTransition,
  isLegalStep,
} from '../../src/domain/states.ts';

const now = new Date('2026-05-01T12:00:00Z');
const at = (s: number) => new Date(now.getTime() + s * 1000);
/** A stack whose page never said it left. */
const NO_DEPARTURE = { departedAt: null, departureSuspendAt: null, lastActivityAt: at(-1000) };

test('nextAction: idle READY stacks suspend, abandoned ones delete, others wait', () => {
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'READY', suspendAt: at(-1), suspendBy: null, deleteBy: at(100), shelveAt: null }, now), 'suspend');
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'READY', suspendAt: at(10), suspendBy: null, deleteBy: at(100), shelveAt: null }, now), 'none');
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'READY', suspendAt: at(10), suspendBy: at(0), deleteBy: at(100), shelveAt: null }, now), 'suspend');
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'SUSPENDED', suspendAt: null, suspendBy: null, deleteBy: at(0), shelveAt: null }, now), 'delete');
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'SUSPENDED', suspendAt: null, suspendBy: null, deleteBy: at(1), shelveAt: null }, now), 'none');
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'CREATING', suspendAt: at(-1), suspendBy: null, deleteBy: at(-1), shelveAt: null }, now), 'none');
  // Both due: deletion wins (the reaper takes abandoned READY stacks too).
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'READY', suspendAt: at(-1), suspendBy: null, deleteBy: at(-1), shelveAt: null }, now), 'delete');
});

test('nextAction with a departure: suspends once the grace is over unless activity followed the departure', () => {
  const ready = { state: 'READY' as const, suspendAt: at(600), suspendBy: null, deleteBy: at(10_000), shelveAt: null };
  const departed = { ...ready, departedAt: at(-60), departureSuspendAt: at(0), lastActivityAt: at(-90) };
  assert.equal(nextAction(departed, now), 'suspend', 'due at the end of its grace');
  assert.equal(nextAction({ ...departed, departureSuspendAt: at(1) }, now), 'none', 'grace not over');
  assert.equal(nextAction({ ...departed, lastActivityAt: at(-60) }, now), 'suspend', "the departing page's own last keepalive at the departure instant does not cancel it");
  assert.equal(nextAction({ ...departed, lastActivityAt: at(-30) }, now), 'none', "another page's keepalive (or the learner coming back) after the departure cancels it");
  assert.equal(nextAction({ ...departed, state: 'SUSPENDED' }, now), 'none', 'only a running stack is suspended');
});

test('nextAction with the shelve tier: a suspended stack past its shelve deadline shelves; deletion still wins; nothing else shelves', () => {
  const suspended = { ...NO_DEPARTURE, state: 'SUSPENDED' as const, suspendAt: null, suspendBy: null, deleteBy: at(1000) };
  assert.equal(nextAction({ ...NO_DEPARTURE, ...suspended, shelveAt: at(-1) }, now), 'shelve');
  assert.equal(nextAction({ ...NO_DEPARTURE, ...suspended, shelveAt: at(0) }, now), 'shelve', 'due at its deadline, like the other tiers');
  assert.equal(nextAction({ ...NO_DEPARTURE, ...suspended, shelveAt: at(1) }, now), 'none');
  assert.equal(nextAction({ ...NO_DEPARTURE, ...suspended, shelveAt: null }, now), 'none', 'no shelve deadline: a provider that cannot shelve, or a lab that never shelves');
  assert.equal(nextAction({ ...NO_DEPARTURE, ...suspended, shelveAt: at(-1), deleteBy: at(-1) }, now), 'delete', 'deletion wins over shelving');
  // Only a suspended stack shelves: a running one is suspended first, a shelved one is not shelved again.
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'READY', suspendAt: at(10), suspendBy: null, deleteBy: at(1000), shelveAt: at(-1) }, now), 'none');
  assert.equal(nextAction({ ...NO_DEPARTURE, state: 'READY', suspendAt: at(-1), suspendBy: null, deleteBy: at(1000), shelveAt: at(-1) }, now), 'suspend');
  for (const state of ['SHELVE_PENDING', 'SHELVING', 'SHELVED', 'SHELVE_FAILED', 'UNSHELVE_PENDING', 'UNSHELVING', 'UNSHELVE_FAILED', 'SUSPEND_FAILED'] as const) {
    assert.equal(nextAction({ ...NO_DEPARTURE, state, suspendAt: null, suspendBy: null, deleteBy: at(1000), shelveAt: at(-1) }, now), 'none', state);
  }
  // The shelved tier is deleted after the delete age, but not while an operation is pending or under way.
  for (const state of ['SHELVED', 'SHELVE_FAILED', 'UNSHELVE_FAILED'] as const) assert.equal(nextAction({ ...NO_DEPARTURE, state, suspendAt: null, suspendBy: null, deleteBy: at(-1), shelveAt: null }, now), 'delete', state);
  for (const state of ['SHELVE_PENDING', 'SHELVING', 'UNSHELVE_PENDING', 'UNSHELVING'] as const) assert.equal(nextAction({ ...NO_DEPARTURE, state, suspendAt: null, suspendBy: null, deleteBy: at(-1), shelveAt: null }, now), 'none', state);
});

test("the shelve time: the lab's choice, else the provider's default; never where the provider cannot shelve", () => {
  const nova = { canShelve: true, billsSuspended: true, shelveOffload: false, shelveAfter: 7200, unshelveEstimate: 300 };
  assert.equal(effectiveShelveAfter(undefined, nova), 7200);
  assert.equal(effectiveShelveAfter(600, nova), 600);
  assert.equal(effectiveShelveAfter(0, nova), 0, 'a lab may say never');
  assert.equal(effectiveShelveAfter(600, SUSPEND_ONLY), 0, 'the local runtime keeps suspend-then-delete whatever the lab says');
  assert.equal(effectiveShelveAfter(600, undefined), 0, 'a provider that says nothing suspends only');
  // The cheapest safe default: shelve only where suspended servers are billed and the cloud can shelve.
  assert.equal(defaultShelveAfter({ canShelve: true, billsSuspended: true }), DEFAULT_SHELVE_AFTER);
  assert.equal(defaultShelveAfter({ canShelve: true, billsSuspended: false }), 0);
  assert.equal(defaultShelveAfter({ canShelve: false, billsSuspended: true }), 0);
});

test('a deadline is the later of the review time and last activity + the timeout; no review time, no deadline', () => {
  assert.equal(deadline(at(10), at(-100), 60)?.getTime(), at(10).getTime());
  assert.equal(deadline(at(-100), at(-30), 60)?.getTime(), at(30).getTime());
  assert.equal(deadline(null, at(0), 60), null);
});

test('the states are listed once: the set, the pending and the in-progress states derive from the tables', () => {
  assert.deepEqual([...STATES], Object.keys(TRANSITIONS));
  assert.equal(STATES.length, 22);
  assert.deepEqual([...PENDING_STATES], ['LAUNCH_PENDING', 'SUSPEND_PENDING', 'RESUME_PENDING', 'DELETE_PENDING', 'SHELVE_PENDING', 'UNSHELVE_PENDING']);
  assert.deepEqual([...IN_PROGRESS_STATES], ['CREATING', 'SUSPENDING', 'RESUMING', 'DELETING', 'SHELVING', 'UNSHELVING']);
  assert.deepEqual([...FAILED_STATES], ['LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED', 'SHELVE_FAILED', 'UNSHELVE_FAILED']);
});

test('a history step is legal only as a creation, a transition of the table, or a lease take-over', () => {
  assert.ok(isLegalStep(null, 'LAUNCH_PENDING'));
  assert.ok(!isLegalStep(null, 'READY'));
  assert.ok(isLegalStep('READY', 'SUSPEND_PENDING'));
  assert.ok(!isLegalStep('READY', 'RESUMING'));
  assert.ok(isLegalStep('CREATING', 'CREATING'), 'a worker taking over an expired lease records the same state');
  assert.ok(!isLegalStep('READY', 'READY'));
  assert.throws(() => assertTransitions(['SUSPENDED', 'READY'], 'SHELVE_PENDING'), (e: unknown) => e instanceof IllegalTransitionError && e.from === 'READY' && /READY -> SHELVE_PENDING/.test(e.message));
  assert.doesNotThrow(() => assertTransitions(['SUSPENDED', 'SUSPEND_FAILED'], 'RESUME_PENDING'));
});

test('the transition table is closed and consistent with claims and outcomes', () => {
  for (const [from, targets] of Object.entries(TRANSITIONS)) for (const to of targets) assert.ok(STATES.includes(to), `${from} -> ${to}`);
  for (const [pending, inProgress] of Object.entries(CLAIM_TARGET)) assert.ok(canTransition(pending as never, inProgress), `${pending} -> ${inProgress}`);
  for (const [inProgress, { ok, failed }] of Object.entries(OUTCOME)) {
    assert.ok(canTransition(inProgress as never, ok));
    assert.ok(canTransition(inProgress as never, failed));
  }
  // Every state can reach deletion, so nothing is ever stuck with resources held.
  for (const state of STATES) {
    const seen = new Set([state]);
    const queue = [state];
    while (queue.length) {
      for (const next of TRANSITIONS[queue.shift()!]) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    assert.ok(seen.has('DELETED'), `${state} cannot reach DELETED`);
  }
  assert.equal(canTransition('READY', 'RESUMING'), false);
});
