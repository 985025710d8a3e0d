/**
 * Pure decisions about a stack, taking `now` so that sweeps and tests share one clock.
 * The SQL of the sweeps selects the same stacks; these predicates re-check one stack after it is locked.
 */
import type { Stack } from './stack.ts';

export type Decision = 'suspend' | 'delete' | 'none';

export function isIdle(stack: Pick<Stack, 'suspendAt' | 'suspendBy'>, now: Date): boolean {
  const t = now.getTime();
  return (stack.suspendAt !== null && stack.suspendAt.getTime() <= t) || (stack.suspendBy !== null && stack.suspendBy.getTime() <= t);
}

export function isAbandoned(stack: Pick<Stack, 'deleteBy'>, now: Date): boolean {
  return stack.deleteBy !== null && stack.deleteBy.getTime() <= now.getTime();
}

export function nextAction(stack: Pick<Stack, 'state' | 'suspendAt' | 'suspendBy' | 'deleteBy'>, now: Date): Decision {
  switch (stack.state) {
    case 'READY':
      if (isAbandoned(stack, now)) return 'delete';
      return isIdle(stack, now) ? 'suspend' : 'none';
    case 'SUSPENDED':
    case 'LAUNCH_FAILED':
    case 'SUSPEND_FAILED':
    case 'RESUME_FAILED':
      return isAbandoned(stack, now) ? 'delete' : 'none';
    default:
      return 'none';
  }
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
