/**
 * When a stack should be suspended, shelved or deleted (the tiers of domain/dormancy.ts): the one
 * definition, pure and taking `now`.
 *
 * The sweeps (services/sweeps.ts) judge with `nextAction` and nothing else. So that they need not read
 * 100,000 stacks, the store hands them candidates by an index-only prefilter on the stored review times
 * (StackStore.suspendCandidates, shelveCandidates, deleteCandidates): not this rule, but a superset of it by
 * construction, since `deadline` is never earlier than its review time. A change here that judges by
 * anything but a passed deadline, suspend_by or departure grace must widen those prefilters too;
 * test/store/sweep-statements.test.ts runs the real sweeps over a table of cases on PGlite and PostgreSQL
 * and fails unless they move exactly the stacks `nextAction` names.
 */
import type { Stack } from './stack.ts';
import { isIn, type StackState } from './states.ts';

export type Decision = 'suspend' | 'shelve' | 'delete' | 'none';

/** States the reaper deletes once unused for the lab's delete age (not while work is pending or under way). */
export const ABANDONABLE_STATES = [
  'READY',
  'SUSPENDED',
  'SHELVED',
  'LAUNCH_FAILED',
  'SUSPEND_FAILED',
  'RESUME_FAILED',
  'SHELVE_FAILED',
  'UNSHELVE_FAILED',
] as const satisfies readonly StackState[];

/**
 * A real deadline from a stored review time. The stored suspend_at and delete_by are review times: set
 * when a stack enters a state and moved by the sweeps, but not by keepalives (which write only
 * last_activity_at, so the update stays off the indexes). The deadline is the later of the review time
 * and last activity + the timeout; no review time means no deadline in this state.
 */
export function deadline(review: Date | null, lastActivity: Date, seconds: number): Date | null {
  if (review === null) return null;
  const byActivity = lastActivity.getTime() + seconds * 1000;
  return byActivity > review.getTime() ? new Date(byActivity) : review;
}

/**
 * The page said it went away (a departure beacon) and nothing has happened since: no keepalive of another
 * open page, no keystroke through the gateway, no coming back. Activity at the very instant of the
 * departure is the departing page's own, so it does not cancel.
 */
export function isDeparted(stack: Pick<Stack, 'departedAt' | 'departureSuspendAt' | 'lastActivityAt'>, now: Date): boolean {
  if (stack.departedAt === null || stack.departureSuspendAt === null) return false;
  return stack.departureSuspendAt.getTime() <= now.getTime() && stack.lastActivityAt.getTime() <= stack.departedAt.getTime();
}

/** Past its idle deadline (`suspendAt`, already a real deadline on a Stack), an explicit suspend_by, or departed. */
export function isIdle(stack: Pick<Stack, 'suspendAt' | 'suspendBy' | 'departedAt' | 'departureSuspendAt' | 'lastActivityAt'>, now: Date): boolean {
  const t = now.getTime();
  return (stack.suspendAt !== null && stack.suspendAt.getTime() <= t) || (stack.suspendBy !== null && stack.suspendBy.getTime() <= t) || isDeparted(stack, now);
}

export function isAbandoned(stack: Pick<Stack, 'deleteBy'>, now: Date): boolean {
  return stack.deleteBy !== null && stack.deleteBy.getTime() <= now.getTime();
}

/**
 * A suspended stack past its shelve deadline (`shelveAt`, already a real deadline on a Stack; null when its
 * provider cannot shelve or its lab never shelves). Only SUSPENDED stacks are shelved: a running one is
 * suspended first, so the two tiers follow each other.
 */
export function isDormant(stack: Pick<Stack, 'state' | 'shelveAt'>, now: Date): boolean {
  return stack.state === 'SUSPENDED' && stack.shelveAt !== null && stack.shelveAt.getTime() <= now.getTime();
}

/** Deletion wins over shelving and suspension: the scheduler's reaper and suspender together act on this. */
export function nextAction(stack: Pick<Stack, 'state' | 'suspendAt' | 'suspendBy' | 'departedAt' | 'departureSuspendAt' | 'lastActivityAt' | 'deleteBy' | 'shelveAt'>, now: Date): Decision {
  if (isIn(stack.state, ABANDONABLE_STATES) && isAbandoned(stack, now)) return 'delete';
  if (stack.state === 'READY' && isIdle(stack, now)) return 'suspend';
  if (isDormant(stack, now)) return 'shelve';
  return 'none';
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
