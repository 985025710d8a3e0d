/**
 * The class of issue #18, as plans the cost benchmark replays: each learner works a session of 30-45
 * minutes every 1-2 days for a month; 30 % of sessions end with the tab left open, the rest close it
 * within two minutes of the last input. Inside a session the learner types (60 % of inputs, through the
 * terminal: the page and the gateway both see them) or reads and clicks (40 %, the page only), with
 * gaps mostly of seconds and now and then a reading pause of 1-8 minutes. One session in ten opens the
 * lab in a second window part-way through, works there, and closes the first page later: the case where a
 * departure must not suspend a learner who is still working.
 */

/** Seeded, so every profile replays the very same class. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Input {
  /** Seconds from the session's start. */
  at: number;
  via: 'terminal' | 'page';
  /** Which page: 0 the first, 1 the second window. */
  page: 0 | 1;
}

export interface SessionPlan {
  /** Seconds from the round's start (learners do not all start on the same second). */
  offset: number;
  /** Seconds from the first to the last input: the learning time. */
  duration: number;
  inputs: Input[];
  /** Seconds after the last input at which the learner closes the page(s); null: left open. */
  closesAfter: number | null;
  /** The second window: when it opens, and when the first page is closed (seconds from the start). */
  second?: { opensAt: number; firstClosedAt: number };
}

export interface ClassModel {
  learners: number;
  /** Sessions of each learner, one per round (the gaps between rounds are 1-2 days); null: not that round. */
  sessions: Array<Array<SessionPlan | null>>;
  gaps: number[];
  /**
   * Rounds are calendar days starting at 00:00 UTC (offsets are times of day), and the pages open the lab
   * through the launch route as web/lab-page.ts does, which records the course visit habit resume learns
   * from (bench/habit-model.ts). Absent: rounds start where the last ended, and the replay launches
   * through the service (the figures of issue 18 were measured so).
   */
  daily?: boolean;
}

const DAY = 86_400;

export function classModel(learners: number, seed = 18): ClassModel {
  const rnd = seeded(seed);
  const between = (a: number, b: number) => a + (b - a) * rnd();
  // All learners share the round's gap (each learner's bill depends only on its own stack), so the
  // replay can run one round of sessions at a time; the month still holds 30 days of them.
  const gaps: number[] = [];
  for (let t = 0; t < 30 * DAY; ) {
    const gap = between(1, 2) * DAY;
    gaps.push(gap);
    t += gap;
  }
  const sessions: SessionPlan[][] = [];
  for (let l = 0; l < learners; l++) {
    const own: SessionPlan[] = [];
    for (let s = 0; s < gaps.length; s++) own.push(session(rnd, () => between(0, 600)));
    sessions.push(own);
  }
  return { learners, sessions, gaps };
}

/**
 * One session of the class (what happens in it), starting `offset()` seconds into its round. The draws
 * are in a fixed order (the month's figures in BENCHMARKS.md depend on it): the duration, the second
 * window, the inputs, the offset, the closing.
 */
export function session(rnd: () => number, offset: () => number): SessionPlan {
  const between = (a: number, b: number) => a + (b - a) * rnd();
  const duration = between(30, 45) * 60;
  const second = rnd() < 0.1 ? { opensAt: between(5, 20) * 60, firstClosedAt: 0 } : undefined;
  if (second) second.firstClosedAt = second.opensAt + between(1, 10) * 60;
  const inputs: Input[] = [];
  for (let at = 0; at < duration; ) {
    inputs.push({ at, via: rnd() < 0.6 ? 'terminal' : 'page', page: second && at >= second.opensAt ? 1 : 0 });
    at += rnd() < 0.15 ? between(60, 480) : -15 * Math.log(1 - rnd());
  }
  inputs.push({ at: duration, via: 'terminal', page: second && duration >= second.opensAt ? 1 : 0 });
  return { offset: offset(), duration, inputs, closesAfter: rnd() < 0.3 ? null : between(0, 120), ...(second ? { second } : {}) };
}
