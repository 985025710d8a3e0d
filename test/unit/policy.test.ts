import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAction } from '../../src/domain/policy.ts';
import { CLAIM_TARGET, OUTCOME, STATES, TRANSITIONS, canTransition } from '../../src/domain/states.ts';

const now = new Date('2026-05-01T12:00:00Z');
const at = (s: number) => new Date(now.getTime() + s * 1000);

test('nextAction: idle READY stacks suspend, abandoned ones delete, others wait', () => {
  assert.equal(nextAction({ state: 'READY', suspendAt: at(-1), suspendBy: null, deleteBy: at(100) }, now), 'suspend');
  assert.equal(nextAction({ state: 'READY', suspendAt: at(10), suspendBy: null, deleteBy: at(100) }, now), 'none');
  assert.equal(nextAction({ state: 'READY', suspendAt: at(10), suspendBy: at(0), deleteBy: at(100) }, now), 'suspend');
  assert.equal(nextAction({ state: 'SUSPENDED', suspendAt: null, suspendBy: null, deleteBy: at(0) }, now), 'delete');
  assert.equal(nextAction({ state: 'SUSPENDED', suspendAt: null, suspendBy: null, deleteBy: at(1) }, now), 'none');
  assert.equal(nextAction({ state: 'CREATING', suspendAt: at(-1), suspendBy: null, deleteBy: at(-1) }, now), 'none');
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
