/**
 * Class schedules (docs/pools.md, "Schedules"): a course's class times size its labs' warm pools ahead of
 * each class from the learners expected, and let them drain after. Pure: when a class's pool window is
 * open, and how many stacks each pool should then hold; services/class-schedules.ts reads the store.
 */
import type { Lab } from './lab.ts';
import { labSizing, poolKeyFor, type PoolSizing } from './pool.ts';
import { fromWallClock, isTimeZone, toWallClock } from './zoned-time.ts';

/** One class time of a course (an LTI context id), for one lab or every lab of the course. */
export interface ClassSession {
  id: string;
  /** The course run as the LMS names it: the LTI context id (an Open edX course key). */
  course: string;
  /** Null: every lab of the course (services/class-schedules.ts says which those are). */
  lab: string | null;
  start: Date;
  end: Date;
  /** Learners expected: the first launches the pool should be ready for. */
  learners: number;
  /** Seconds before the start the pool grows (enough to launch the stacks on the slowest provider). */
  leadSeconds: number;
  /** Repeats every week while a class starts no later than this; null: once. */
  weeklyUntil: Date | null;
  /**
   * The IANA time zone (Europe/Berlin) whose wall clock a weekly class keeps: each week starts at the
   * first class's local time there, across daylight-saving changes, and lasts as long. Null: UTC.
   */
  timeZone: string | null;
  /** Where it was defined: the API and CLI (in the store, removable there) or the config file's `schedules`. */
  source: 'store' | 'config';
}

export const WEEK_SECONDS = 7 * 24 * 3600;
/** A class longer than this is more than a class: a pool that size should be the lab's own `pool.size`. */
export const MAX_CLASS_SECONDS = 31 * 24 * 3600;
export const MAX_LEAD_SECONDS = 24 * 3600;

/**
 * What is wrong with a session's times, or null. A weekly class's window (lead time and class) must be
 * shorter than a week, else one week's window would run into the next.
 */
export function sessionProblem(
  s: Pick<ClassSession, 'start' | 'end' | 'leadSeconds' | 'weeklyUntil' | 'timeZone'>,
): 'unknownTimeZone' | 'endsBeforeStart' | 'tooLong' | 'weeklyOverlap' | 'untilBeforeStart' | null {
  if (s.timeZone !== null && !isTimeZone(s.timeZone)) return 'unknownTimeZone';
  const length = (s.end.getTime() - s.start.getTime()) / 1000;
  if (!(length > 0)) return 'endsBeforeStart';
  if (length > MAX_CLASS_SECONDS || s.leadSeconds > MAX_LEAD_SECONDS) return 'tooLong';
  if (s.weeklyUntil && s.weeklyUntil.getTime() < s.start.getTime()) return 'untilBeforeStart';
  if (s.weeklyUntil && length + s.leadSeconds >= WEEK_SECONDS) return 'weeklyOverlap';
  return null;
}

export interface Occurrence {
  start: Date;
  end: Date;
}

const WEEK_MS = WEEK_SECONDS * 1000;

/**
 * The class's occurrence `week` weeks after the first: 7 days later on the zone's wall clock (in UTC,
 * exactly a week later), lasting as long as the first.
 */
function occurrenceAt(s: ClassSession, week: number): Occurrence {
  const length = s.end.getTime() - s.start.getTime();
  const start = s.timeZone === null ? s.start.getTime() + week * WEEK_MS : fromWallClock(s.timeZone, toWallClock(s.timeZone, s.start.getTime()) + week * WEEK_MS);
  return { start: new Date(start), end: new Date(start + length) };
}

/**
 * The weeks around an estimate made by dividing by a UTC week, in order, within the class's weeks: in a
 * zone an occurrence is up to an hour or so off that estimate near a daylight-saving change, so the
 * right one may be a neighbour.
 */
function weeksNear(s: ClassSession, estimate: number): number[] {
  const last = lastWeek(s);
  return [estimate - 1, estimate, estimate + 1].filter((w) => w >= 0 && w <= last);
}

/** The last week whose occurrence starts no later than weekly_until (0: the class is once). */
function lastWeek(s: ClassSession): number {
  if (!s.weeklyUntil) return 0;
  const until = s.weeklyUntil.getTime();
  const estimate = Math.floor((until - s.start.getTime()) / WEEK_MS);
  if (estimate < 0) return 0;
  const fits = [estimate + 1, estimate, estimate - 1].find((w) => w >= 0 && occurrenceAt(s, w).start.getTime() <= until);
  return fits ?? 0;
}

/** The occurrence whose pool window (from `lead` before its start to its end) holds `now`; null: none. */
export function openOccurrence(s: ClassSession, now: Date): Occurrence | null {
  const t = now.getTime();
  const lead = s.leadSeconds * 1000;
  // Windows are shorter than a week (sessionProblem), so only the week `now` falls in, or a neighbour
  // of it in a zone, can hold it.
  for (const week of weeksNear(s, Math.floor((t - s.start.getTime() + lead) / WEEK_MS))) {
    const o = occurrenceAt(s, week);
    if (t >= o.start.getTime() - lead && t < o.end.getTime()) return o;
  }
  return null;
}

/** The occurrence open now or the next one to come; null when the class is over for good. */
export function nextOccurrence(s: ClassSession, now: Date): Occurrence | null {
  const open = openOccurrence(s, now);
  if (open) return open;
  const t = now.getTime();
  // None is open, so the first occurrence (of the estimate's neighbours) not yet ended is still to come.
  const estimate = Math.max(0, Math.ceil((t - s.start.getTime()) / WEEK_MS));
  for (const week of weeksNear(s, estimate)) {
    const o = occurrenceAt(s, week);
    if (o.end.getTime() > t) return o;
  }
  return null;
}

/** A course's class open now, with the labs it covers and how many of its learners already have a stack of each. */
export interface OpenClass {
  session: ClassSession;
  /** The labs with a pool that the class covers (its lab, or the course's labs). */
  labs: readonly Lab[];
  /** The course run the course's launches give a template (the pool's run for a per-run lab). */
  run: string;
  /** Per lab id: learners of the course who have a stack of it already (any state): they come back, never claim. */
  arrived: ReadonlyMap<string, number>;
}

/**
 * Pool sizes with the classes open now: each pool holds the lab's own size plus, for every open class
 * that covers it, the learners still expected (expected less those who already have a stack of the lab
 * in the course: they come back to theirs rather than take from the pool). As learners arrive the
 * target falls with the pool, so the filler does not refill behind a class that has come; at the end it
 * is the lab's size again and the filler drains the rest. Classes of several courses at once add up.
 * A per-run lab's pool for a course run that its `pool.runs` does not list is kept while a class needs it.
 */
export function scheduledSizing(open: readonly OpenClass[], base: PoolSizing = labSizing): PoolSizing {
  const extra = new Map<string, number>();
  const runs = new Map<string, Set<string>>();
  for (const c of open) {
    for (const lab of c.labs) {
      const key = poolKeyFor(lab, c.run);
      const expected = Math.max(0, c.session.learners - (c.arrived.get(lab.id) ?? 0));
      const k = `${key.lab}\n${key.run}`;
      extra.set(k, (extra.get(k) ?? 0) + expected);
      if (lab.pool?.perRun) runs.set(lab.id, (runs.get(lab.id) ?? new Set()).add(key.run));
    }
  }
  const sizing: PoolSizing = (lab, key) => base(lab, key) + (extra.get(`${key.lab}\n${key.run}`) ?? 0);
  sizing.runs = (lab) => [...(runs.get(lab.id) ?? [])];
  return sizing;
}
