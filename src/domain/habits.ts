/**
 * Habit resume (docs/pools.md, "Predictive resume"): whether a learner is about to open a course, judged
 * from the times of day they opened it on the days before. Pure; services/predictive-resume.ts acts.
 */
export interface HabitRule {
  /** Seconds before the usual time that the stacks are resumed. */
  leadSeconds: number;
  /** Days of the look-back on which the learner must have come at about that time. */
  minDays: number;
}

/** Days looked back over. */
export const HABIT_LOOKBACK_DAYS = 14;
/** "At about that time": within this many seconds either side of it. */
export const HABIT_WINDOW_SECONDS = 30 * 60;

const DAY_MS = 24 * 3600 * 1000;

/**
 * True when the learner is expected in `leadSeconds`: on at least `minDays` of the last 14 days they
 * opened the course within half an hour of this time of day (UTC, so a habit at a local hour moves by
 * the daylight-saving change for a day). False when they opened it in the last hour already: they are
 * here, and opening a lab resumes what it needs (or was resumed for this very habit, which is not to be
 * done twice).
 */
export function expectedSoon(visits: readonly Date[], now: Date, rule: HabitRule): boolean {
  const t = now.getTime();
  const window = HABIT_WINDOW_SECONDS * 1000;
  if (visits.some((v) => v.getTime() <= t && v.getTime() > t - 2 * window)) return false;
  const at = t + rule.leadSeconds * 1000;
  let days = 0;
  for (let d = 1; d <= HABIT_LOOKBACK_DAYS; d++) {
    const then = at - d * DAY_MS;
    if (visits.some((v) => Math.abs(v.getTime() - then) <= window)) days++;
  }
  return days >= rule.minDays;
}
