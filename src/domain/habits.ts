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
 * True when the learner is expected in `leadSeconds` or less (expectedAt).
 */
export function expectedSoon(visits: readonly Date[], now: Date, rule: HabitRule): boolean {
  return expectedAt(visits, now, rule) !== null;
}

/**
 * When the learner is expected, once that is `leadSeconds` away or less: on at least `minDays` of the last
 * 14 days they opened the course within half an hour of `now + leadSeconds`'s time of day (UTC, so a habit
 * at a local hour moves by the daylight-saving change for a day), and their usual time is the median of
 * those days' openings, taken as today's; null until it is no further than `leadSeconds` away (a pass
 * earlier in the half hour would resume up to 35 minutes early, and the stack would be suspended again
 * long before they came). Null too when they opened the course in the last hour already: they are here,
 * and opening a lab resumes what it needs (or was resumed for this very habit, which is not to be done
 * twice).
 */
export function expectedAt(visits: readonly Date[], now: Date, rule: HabitRule): Date | null {
  const t = now.getTime();
  const window = HABIT_WINDOW_SECONDS * 1000;
  if (visits.some((v) => v.getTime() <= t && v.getTime() > t - 2 * window)) return null;
  const at = t + rule.leadSeconds * 1000;
  const offsets: number[] = [];
  for (let d = 1; d <= HABIT_LOOKBACK_DAYS; d++) {
    const then = at - d * DAY_MS;
    // The day's opening nearest that time of day, if one is near enough.
    let nearest: number | null = null;
    for (const v of visits) {
      const off = v.getTime() - then;
      if (Math.abs(off) <= window && (nearest === null || Math.abs(off) < Math.abs(nearest))) nearest = off;
    }
    if (nearest !== null) offsets.push(nearest);
  }
  if (offsets.length < rule.minDays) return null;
  offsets.sort((a, b) => a - b);
  const middle = offsets.length >> 1;
  const median = offsets.length % 2 ? offsets[middle]! : (offsets[middle - 1]! + offsets[middle]!) / 2;
  return median <= 0 ? new Date(at + median) : null;
}
