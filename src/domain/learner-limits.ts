/**
 * How much one learner may hold at once and how fast they may start new environments, so that one
 * person (or a script with their session, or a flood of demo sign-ins) cannot take a course's cloud
 * for themselves. Set by the course operator (`max_stacks_per_learner`, `launches_per_minute`).
 */
import type { Stack } from './stack.ts';

export interface LearnerLimits {
  /** Stacks one learner may hold at once, across labs and courses; 0 = no limit. */
  maxStacks: number;
  /** Launches (a new stack, a relaunch of a deleted or failed one, a reset) per learner per minute; 0 = no limit. */
  launchesPerMinute: number;
}

/** The window `launchesPerMinute` counts over. */
export const LAUNCH_WINDOW_SECONDS = 60;

/**
 * Whether a stack counts against `maxStacks`: every stack but a deleted one and one being deleted for
 * good. A stack being deleted by a reset (`relaunch`) still counts, because it comes back. A failed
 * delete without a reset does not: the learner asked for it to go, and the reaper retries it.
 * db/learner-usage.ts has the same rule in SQL (`HOLDS_SLOT`).
 */
export function holdsLearnerSlot(stack: Pick<Stack, 'state' | 'relaunch'>): boolean {
  switch (stack.state) {
    case 'DELETED':
      return false;
    case 'DELETE_PENDING':
    case 'DELETING':
    case 'DELETE_FAILED':
      return stack.relaunch;
    default:
      return true;
  }
}
