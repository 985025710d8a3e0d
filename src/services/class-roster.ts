/**
 * An instructor's roster of one course (LTI context): every stack a learner opened there, with its
 * name and role from their LTI launch, state, last activity, the time it was running (READY) from its
 * history, and the learner's best progress-check score for that lab; course staff who tried the lab
 * come last. One query for the stacks, one for the times, one for the scores.
 */
import type { Database } from '../db/database.ts';
import type { StackState } from '../domain/states.ts';

export interface RosterEntry {
  stackId: string;
  learner: string;
  /** The name from the learner's LTI launch, when the platform sent one. */
  displayName: string | null;
  /** Launched with instructor rights (course staff trying the lab). */
  staff: boolean;
  lab: string;
  state: StackState;
  lastActivityAt: Date;
  createdAt: Date;
  /** Seconds the stack was READY (running for the learner), up to now. */
  secondsUsed: number;
  /** Best completed check score (0..1), null before any. */
  bestScore: number | null;
  checkRuns: number;
}

/** At most this many stacks per course are listed (a class, not the whole deployment). */
export const ROSTER_LIMIT = 2000;

export async function classRoster(db: Database, context: string, now: Date): Promise<RosterEntry[]> {
  const stacks = await db.query<{ id: string; learner: string; lab: string; state: StackState; last_activity_at: Date; created_at: Date; display_name: string | null; staff: boolean | null }>(
    `SELECT s.id, s.learner, s.lab, s.state, s.last_activity_at, s.created_at, l.display_name, l.staff FROM stacks s
     LEFT JOIN lti_launches l ON l.learner = s.learner AND l.context = s.context AND l.lab = s.lab
     WHERE s.context = $1 ORDER BY COALESCE(l.staff, false), COALESCE(l.display_name, s.learner), s.learner, s.lab LIMIT $2`,
    [context, ROSTER_LIMIT],
  );
  if (!stacks.length) return [];
  const ids = stacks.map((s) => s.id);
  // Each READY spell lasts until the next event of the stack (or until now, when it is still READY).
  const used = await db.query<{ stack_id: string; seconds: number | string }>(
    `SELECT stack_id, SUM(EXTRACT(EPOCH FROM (COALESCE(next_at, $2::timestamptz) - at))) AS seconds FROM (
       SELECT stack_id, to_state, at, lead(at) OVER (PARTITION BY stack_id ORDER BY at, id) AS next_at
       FROM stack_events WHERE stack_id = ANY($1::text[]) AND kind = 'transition'
     ) spells WHERE to_state = 'READY' GROUP BY stack_id`,
    [ids, now],
  );
  const scores = await db.query<{ learner: string; lab: string; best: number | string | null; runs: number | string }>(
    `SELECT learner, lab, MAX(score) AS best, COUNT(*) AS runs FROM check_runs WHERE context = $1 AND status = 'completed' GROUP BY learner, lab`,
    [context],
  );
  const secondsBy = new Map(used.map((u) => [u.stack_id, Math.max(0, Math.round(Number(u.seconds)))]));
  const scoreBy = new Map(scores.map((s) => [`${s.learner}\u0000${s.lab}`, s]));
  return stacks.map((s) => {
    const score = scoreBy.get(`${s.learner}\u0000${s.lab}`);
    return {
      stackId: s.id,
      learner: s.learner,
      displayName: s.display_name,
      staff: s.staff === true,
      lab: s.lab,
      state: s.state,
      lastActivityAt: new Date(s.last_activity_at),
      createdAt: new Date(s.created_at),
      secondsUsed: secondsBy.get(s.id) ?? 0,
      bestScore: score?.best === null || score?.best === undefined ? null : Number(score.best),
      checkRuns: Number(score?.runs ?? 0),
    };
  });
}
