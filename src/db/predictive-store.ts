/**
 * SQL for predictive resume (migration 018, docs/pools.md): a learner's suspended stacks of a course to
 * resume ahead, and the course visits habit resume learns from.
 */
import type { Stack } from '../domain/stack.ts';
import type { Queryable } from './database.ts';
import { stackColumns, toStack, type StackRow } from './stack-rows.ts';

export class PredictiveStore {
  constructor(private readonly db: Queryable) {}

  /**
   * The learner's SUSPENDED stacks of the course, but those of `exceptLab`, most recently used first, at
   * most `limit`; with `notResumedBy`, none that actor resumed since `since` (a guess already made once).
   */
  async suspendedInCourse(q: { learner: string; context: string; exceptLab?: string; limit: number; notResumedBy?: { actor: string; since: Date } }): Promise<Stack[]> {
    const rows = await this.db.query<StackRow>(
      `SELECT ${stackColumns('s')} FROM stacks s
       WHERE s.learner = $1 AND s.context = $2 AND s.state = 'SUSPENDED' AND NOT s.pool AND ($3::text IS NULL OR s.lab <> $3)
         AND ($5::text IS NULL OR NOT EXISTS (SELECT 1 FROM stack_events e WHERE e.stack_id = s.id AND e.actor = $5 AND e.at > $6))
       ORDER BY s.last_activity_at DESC, s.id LIMIT $4`,
      [q.learner, q.context, q.exceptLab ?? null, q.limit, q.notResumedBy?.actor ?? null, q.notResumedBy?.since ?? null],
    );
    return rows.map(toStack);
  }

  async recordVisit(learner: string, context: string, at: Date): Promise<void> {
    await this.db.query(`INSERT INTO course_visits (learner, context, at) VALUES ($1, $2, $3)`, [learner, context, at]);
  }

  /**
   * Visits since `since` that habit resume can use at `target`: those within `window` seconds of its time
   * of day (on any day), and every visit since `recent` (which say a learner is here already). The rest
   * are filtered in the database, so a pass reads a few rows per learner rather than two weeks of all.
   */
  async visitsNear(q: { since: Date; target: Date; windowSeconds: number; recent: Date }): Promise<Array<{ learner: string; context: string; at: Date }>> {
    const rows = await this.db.query<{ learner: string; context: string; at: Date | string }>(
      `SELECT learner, context, at FROM (
         SELECT learner, context, at, mod(mod((extract(epoch FROM at) - $2::double precision)::numeric, 86400) + 86400, 86400) AS off_by
         FROM course_visits WHERE at >= $1) v
       WHERE at > $4 OR off_by <= $3::int OR off_by >= 86400 - $3::int
       ORDER BY learner, context, at`,
      [q.since, q.target.getTime() / 1000, q.windowSeconds, q.recent],
    );
    return rows.map((r) => ({ learner: r.learner, context: r.context, at: r.at instanceof Date ? r.at : new Date(r.at) }));
  }

  /** Visits older than the look-back are of no more use: none is kept longer than it is needed. */
  async pruneVisits(before: Date): Promise<void> {
    await this.db.query(`DELETE FROM course_visits WHERE at < $1`, [before]);
  }
}
