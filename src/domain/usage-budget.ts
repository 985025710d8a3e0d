/**
 * Usage limits (hastexo's `lab_usage_limit`): a budget of running time per learner per lab per course run,
 * set by the lab (`usage_limit` in lab.yaml), overridden per course, extended per learner by the course
 * team. Running time is counted from the stack's history (domain/billing.ts, all of it: a reset or a
 * relaunch does not give time back). Modes (docs/cost.md):
 */
export const USAGE_LIMIT_MODES = {
  /** Counted and shown to nobody: the operator sees it in the report and the logs. */
  none: 'none',
  /** The learner sees the time left and a warning when it is used up; nothing is stopped. */
  warn: 'warn',
  /** At the limit the lab is suspended, and launching or resuming it is refused (USAGE_LIMIT_REACHED). */
  block: 'block',
} as const;

export type UsageLimitMode = keyof typeof USAGE_LIMIT_MODES;

export interface UsageLimit {
  /** Seconds of running time. */
  seconds: number;
  mode: UsageLimitMode;
}

/** Where a learner stands against their budget. */
export interface BudgetStatus {
  mode: UsageLimitMode;
  /** The limit plus the learner's extensions, in seconds. */
  budgetSeconds: number;
  usedSeconds: number;
  /** Never negative. */
  leftSeconds: number;
  exhausted: boolean;
}

/** The learner's status; null when no limit applies. */
export function budgetStatus(limit: UsageLimit | null | undefined, extensionSeconds: number, usedSeconds: number): BudgetStatus | null {
  if (!limit) return null;
  const budgetSeconds = limit.seconds + extensionSeconds;
  const leftSeconds = Math.max(0, budgetSeconds - usedSeconds);
  return { mode: limit.mode, budgetSeconds, usedSeconds, leftSeconds, exhausted: leftSeconds <= 0 };
}

/** Whether the budget stops the lab from running (a `block` budget used up). */
export function blocksRunning(status: BudgetStatus | null): status is BudgetStatus {
  return status !== null && status.mode === 'block' && status.exhausted;
}

/**
 * When a lab that runs from `now` must be suspended to stay within a `block` budget (the stack's
 * `suspend_by`, which the suspender honours); null for the other modes.
 */
export function budgetDeadline(status: BudgetStatus | null, now: Date): Date | null {
  if (!status || status.mode !== 'block') return null;
  return new Date(now.getTime() + status.leftSeconds * 1000);
}
