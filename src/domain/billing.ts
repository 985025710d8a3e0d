/**
 * Billed time from a stack's history: which states a cloud bills as running, suspended or shelved, the
 * intervals (segments) the history makes of them, and the learning time inside the running ones. Pure:
 * the cost report (services/cost-report.ts), the usage limits (services/usage-limits.ts), the metrics and
 * `npm run bench -- cost` all compute from these functions.
 *
 * Billing classes, state by state (docs/cost.md):
 * - running: from the claim of a launch (CREATING) until the suspend completes; a resume or an unshelve
 *   bills as running from its claim. A failed suspend or resume may have left servers running, so it bills
 *   as running too (a report that errs, errs high).
 * - suspended: SUSPENDED, and while a resume or a shelve waits or runs (the servers are still suspended).
 * - shelved: SHELVED and while its wake-up waits for a worker.
 * - a delete (DELETE_PENDING, DELETING, DELETE_FAILED) bills as what the stack was when it was asked for.
 * - nothing: LAUNCH_PENDING, LAUNCH_FAILED (the failed provider stack is cleaned up with it), DELETED.
 *
 * Learning time: stacklab keeps no log of every keystroke, only each stack's last activity, which every
 * history entry records (`activityAt`, migration 013). A running segment's learning time is its running
 * time up to the last activity recorded when it ended: the idle countdown after the learner stopped (the
 * suspend timeout, an hour of a tab left open with keepalives counts as activity) is billed but not learning.
 */
import type { StackState } from './states.ts';

export type BilledClass = 'running' | 'suspended' | 'shelved';
export const BILLED_CLASSES = ['running', 'suspended', 'shelved'] as const satisfies readonly BilledClass[];

const CLASS_OF = {
  LAUNCH_PENDING: null,
  CREATING: 'running',
  READY: 'running',
  SUSPEND_PENDING: 'running',
  SUSPENDING: 'running',
  SUSPENDED: 'suspended',
  RESUME_PENDING: 'suspended',
  RESUMING: 'running',
  DELETE_PENDING: 'inherit',
  DELETING: 'inherit',
  DELETED: null,
  LAUNCH_FAILED: null,
  SUSPEND_FAILED: 'running',
  RESUME_FAILED: 'running',
  DELETE_FAILED: 'inherit',
  SHELVE_PENDING: 'suspended',
  SHELVING: 'suspended',
  SHELVED: 'shelved',
  SHELVE_FAILED: 'suspended',
  UNSHELVE_PENDING: 'shelved',
  UNSHELVING: 'running',
  UNSHELVE_FAILED: 'running',
} as const satisfies Record<StackState, BilledClass | 'inherit' | null>;

/** One entry of a stack's history, as the billing needs it. */
export interface HistoryEntry {
  /** The entry's id in the store, when read from it (the metrics count from one id on). */
  id?: number;
  toState: StackState;
  at: Date;
  /** The stack's last activity when the entry was written; null for entries from before migration 013. */
  activityAt: Date | null;
}

/** A maximal interval of one billed class. */
export interface Segment {
  billed: BilledClass;
  start: Date;
  end: Date;
  /** Still going at `until`: `end` is `until`. */
  open: boolean;
  /** For running segments: when the learning in it ended (the last activity before its end), clipped to it. */
  learningEnd: Date;
}

/** Seconds per billed class and of learning. */
export interface UsageSeconds {
  running: number;
  suspended: number;
  shelved: number;
  learning: number;
}

export const NO_USAGE: UsageSeconds = Object.freeze({ running: 0, suspended: 0, shelved: 0, learning: 0 });

/** A window of time [from, to). */
export interface Window {
  from: Date;
  to: Date;
}

/**
 * The segments of a history (entries in the order written) up to `until`. `currentActivity` is the
 * stack's last activity now: the learning end of a segment still open.
 */
export function segments(history: readonly HistoryEntry[], until: Date, currentActivity?: Date | null): Segment[] {
  const out: Segment[] = [];
  let current = null as { billed: BilledClass; start: Date } | null;
  let carried: BilledClass | null = null;
  const close = (end: Date, activity: Date | null, open: boolean) => {
    if (!current) return;
    const stop = end < current.start ? current.start : end;
    out.push({ billed: current.billed, start: current.start, end: stop, open, learningEnd: clamp(activity ?? stop, current.start, stop) });
    current = null;
  };
  for (const entry of history) {
    if (entry.at > until) break;
    const kind = CLASS_OF[entry.toState];
    const billed: BilledClass | null = kind === 'inherit' ? carried : kind;
    if (kind !== 'inherit') carried = kind;
    if (current?.billed === billed) continue;
    close(entry.at, entry.activityAt, false);
    if (billed) current = { billed, start: entry.at };
  }
  close(until, currentActivity ?? null, true);
  return out;
}

/** The seconds of each class, and of learning, that fall inside `window` (all of them without one). */
export function usageSeconds(segs: readonly Segment[], window?: Window): UsageSeconds {
  const total = { ...NO_USAGE };
  for (const s of segs) {
    total[s.billed] += overlapSeconds(s.start, s.end, window);
    if (s.billed === 'running') total.learning += overlapSeconds(s.start, s.learningEnd, window);
  }
  return total;
}

/**
 * The running seconds a usage budget counts (domain/usage-budget.ts): all of the stack's running time
 * up to `now`, the one it is in included.
 */
export function runningSeconds(history: readonly HistoryEntry[], now: Date, since: Date | null = null): number {
  return usageSeconds(segments(history, now), since ? { from: since, to: now } : undefined).running;
}

/**
 * The stack's existence (from its first running moment to its deletion, or `window.to`) inside `window`:
 * what an always-on lab, never suspended, would have billed as running. The saving is measured against it.
 */
export function alwaysOnSeconds(segs: readonly Segment[], window?: Window): number {
  let total = 0;
  let start: Date | null = null;
  let end: Date | null = null;
  for (const s of segs) {
    if (start && end && s.start > end) {
      // A gap: the stack was deleted (or failed) and launched again later.
      total += overlapSeconds(start, end, window);
      start = null;
    }
    start ??= s.start;
    end = s.end;
  }
  if (start && end) total += overlapSeconds(start, end, window);
  return total;
}

function overlapSeconds(start: Date, end: Date, window?: Window): number {
  const from = window && window.from > start ? window.from : start;
  const to = window && window.to < end ? window.to : end;
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

function clamp(at: Date, min: Date, max: Date): Date {
  return at < min ? min : at > max ? max : at;
}
