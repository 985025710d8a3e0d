/**
 * The class of issue #18 with habits, for measuring habit resume (issue #21; docs/pools.md, "Predictive
 * resume"): a month of 30 calendar days; each learner comes every 1-2 days, as in bench/class-model.ts,
 * and works the same kind of session, but when in the day they start is their own: most (80 %) start
 * around a personal time of day between 07:00 and 19:00 UTC, a few minutes either way (normal, sd
 * `jitterMinutes`, at most 3 sd); the others (20 %) start at any time between 07:00 and 20:00. Days
 * without a session are where a habit's guess goes wrong.
 */
import { seeded, session, type ClassModel, type SessionPlan } from './class-model.ts';

const DAY = 86_400;
const DAYS = 30;

export interface HabitClass extends ClassModel {
  /** Per learner: their usual start (seconds into the day), or null for an irregular learner. */
  usual: Array<number | null>;
}

export function habitClassModel(learners: number, options: { seed?: number; regular?: number; jitterMinutes?: number } = {}): HabitClass {
  const rnd = seeded(options.seed ?? 21);
  const regularShare = options.regular ?? 0.8;
  const jitter = (options.jitterMinutes ?? 8) * 60;
  const between = (a: number, b: number) => a + (b - a) * rnd();
  // Box-Muller, clipped at 3 sd so a session never starts before 06:00 or ends after the day.
  const normal = () => Math.max(-3, Math.min(3, Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())));
  const sessions: Array<Array<SessionPlan | null>> = [];
  const usual: Array<number | null> = [];
  for (let l = 0; l < learners; l++) {
    const hour = rnd() < regularShare ? between(7, 19) * 3600 : null;
    usual.push(hour);
    const own: Array<SessionPlan | null> = Array.from({ length: DAYS }, () => null);
    for (let day = rnd() < 0.5 ? 0 : 1; day < DAYS; day += rnd() < 0.5 ? 1 : 2) {
      own[day] = session(rnd, () => (hour === null ? between(7, 20) * 3600 : hour + normal() * jitter));
    }
    sessions.push(own);
  }
  return { learners, sessions, gaps: Array.from({ length: DAYS }, () => DAY), daily: true, usual };
}
