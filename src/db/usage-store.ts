/**
 * SQL for usage limits and the cost report (migration 013): a course's budget for a lab, the time added
 * to a learner's budget, and the histories billing is computed from (domain/billing.ts).
 */
import type { HistoryEntry } from '../domain/billing.ts';
import type { StackState } from '../domain/states.ts';
import type { UsageLimit, UsageLimitMode } from '../domain/usage-budget.ts';
import type { Queryable } from './database.ts';
import { prepared } from './prepared.ts';

export interface CourseLimit extends UsageLimit {
  context: string;
  lab: string;
  actor: string;
  updatedAt: Date;
}

export interface Extension {
  learner: string;
  context: string;
  lab: string;
  seconds: number;
  note: string;
  actor: string;
  at: Date;
}

/** A stack as the report reads it: who, where, on which provider, and its last activity now. */
export interface BilledStack {
  id: string;
  learner: string;
  context: string;
  lab: string;
  provider: string | null;
  lastActivityAt: Date;
  /** When it left a warm pool (null: never pooled); the time before is the pool's. */
  claimedAt: Date | null;
}

export interface BilledStackFilter {
  context?: string;
  lab?: string;
  learner?: string;
  /** Only stacks created before this moment (the end of the report's window). */
  createdBefore: Date;
}

interface LimitRow {
  context: string;
  lab: string;
  seconds: number;
  mode: UsageLimitMode;
  actor: string;
  updated_at: Date;
}

const toLimit = (r: LimitRow): CourseLimit => ({ context: r.context, lab: r.lab, seconds: r.seconds, mode: r.mode, actor: r.actor, updatedAt: r.updated_at });

const COURSE_LIMIT = 'SELECT * FROM usage_limits WHERE context = $1 AND lab = $2';

export class UsageStore {
  constructor(private readonly db: Queryable) {}

  async courseLimit(context: string, lab: string): Promise<CourseLimit | null> {
    // Read at every launch and come-back: sent prepared (db/prepared.ts).
    const rows = await this.db.query<LimitRow>(COURSE_LIMIT, [context, lab], prepared(COURSE_LIMIT));
    return rows[0] ? toLimit(rows[0]) : null;
  }

  async courseLimits(context: string): Promise<CourseLimit[]> {
    const rows = await this.db.query<LimitRow>('SELECT * FROM usage_limits WHERE context = $1 ORDER BY lab', [context]);
    return rows.map(toLimit);
  }

  async setCourseLimit(context: string, lab: string, limit: UsageLimit, actor: string, now: Date): Promise<CourseLimit> {
    const rows = await this.db.query<LimitRow>(
      `INSERT INTO usage_limits (context, lab, seconds, mode, actor, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (context, lab) DO UPDATE SET seconds = EXCLUDED.seconds, mode = EXCLUDED.mode, actor = EXCLUDED.actor, updated_at = EXCLUDED.updated_at
       RETURNING *`,
      [context, lab, limit.seconds, limit.mode, actor, now],
    );
    return toLimit(rows[0]);
  }

  /** Removes a course's override (the lab's own limit applies again); false when there was none. */
  async clearCourseLimit(context: string, lab: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM usage_limits WHERE context = $1 AND lab = $2 RETURNING lab', [context, lab]);
    return rows.length > 0;
  }

  async extend(e: Extension): Promise<void> {
    await this.db.query('INSERT INTO usage_extensions (learner, context, lab, seconds, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      e.learner,
      e.context,
      e.lab,
      e.seconds,
      e.note,
      e.actor,
      e.at,
    ]);
  }

  /** Every learner's extensions in one course, summed per (learner, lab): the class view's roster in one query. */
  async extensionTotals(context: string): Promise<Map<string, number>> {
    const rows = await this.db.query<{ learner: string; lab: string; s: number | string }>(
      'SELECT learner, lab, sum(seconds)::int8 AS s FROM usage_extensions WHERE context = $1 GROUP BY learner, lab',
      [context],
    );
    return new Map(rows.map((r) => [extensionKey(r.learner, r.lab), Number(r.s)]));
  }

  async extensionSeconds(learner: string, context: string, lab: string): Promise<number> {
    const rows = await this.db.query<{ s: number }>('SELECT COALESCE(sum(seconds), 0)::int8 AS s FROM usage_extensions WHERE learner = $1 AND context = $2 AND lab = $3', [
      learner,
      context,
      lab,
    ]);
    return Number(rows[0]?.s ?? 0);
  }

  async extensions(learner: string, context: string, lab: string): Promise<Extension[]> {
    const rows = await this.db.query<Extension>(
      'SELECT learner, context, lab, seconds, note, actor, at FROM usage_extensions WHERE learner = $1 AND context = $2 AND lab = $3 ORDER BY id',
      [learner, context, lab],
    );
    return rows;
  }

  /** Each stack's history up to `until` (all of it without), in the order written (an id with no history maps to []). */
  async histories(stackIds: readonly string[], until?: Date): Promise<Map<string, HistoryEntry[]>> {
    const out = new Map<string, HistoryEntry[]>(stackIds.map((id) => [id, []]));
    if (stackIds.length === 0) return out;
    const rows = await this.db.query<{ id: number; stack_id: string; to_state: StackState; at: Date; activity_at: Date | null }>(
      `SELECT id, stack_id, to_state, at, activity_at FROM stack_events WHERE stack_id = ANY($1::text[]) AND kind = 'transition'${until ? ' AND at <= $2' : ''} ORDER BY stack_id, id`,
      until ? [stackIds, until] : [stackIds],
    );
    for (const row of rows) out.get(row.stack_id)?.push({ id: row.id, toState: row.to_state, at: new Date(row.at), activityAt: row.activity_at ? new Date(row.activity_at) : null });
    return out;
  }

  /** The newest history entry's id (0 when there is none). */
  async lastEventId(): Promise<number> {
    const rows = await this.db.query<{ id: number | null }>('SELECT max(id) AS id FROM stack_events');
    return Number(rows[0]?.id ?? 0);
  }

  /** Stacks with history entries after `afterId` (at most `limit`, oldest change first), with their lab and provider. */
  async changedSince(afterId: number, limit: number): Promise<Array<{ id: string; lab: string; provider: string | null; lastId: number }>> {
    const rows = await this.db.query<{ id: string; lab: string; provider: string | null; last_id: number }>(
      `SELECT s.id, s.lab, s.provider, e.last_id FROM (SELECT stack_id, max(id) AS last_id FROM stack_events WHERE id > $1 GROUP BY stack_id) e
       JOIN stacks s ON s.id = e.stack_id ORDER BY e.last_id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({ id: r.id, lab: r.lab, provider: r.provider, lastId: Number(r.last_id) }));
  }

  /** The stacks a report over the filter looks at, oldest first. */
  async billedStacks(filter: BilledStackFilter): Promise<BilledStack[]> {
    const where = ['created_at < $1'];
    const params: unknown[] = [filter.createdBefore];
    for (const column of ['context', 'lab', 'learner'] as const) {
      const value = filter[column];
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    const rows = await this.db.query<{ id: string; learner: string; context: string; lab: string; provider: string | null; last_activity_at: Date; claimed_at: Date | null }>(
      `SELECT id, learner, context, lab, provider, last_activity_at, claimed_at FROM stacks WHERE ${where.join(' AND ')} ORDER BY created_at, id`,
      params,
    );
    return rows.map((r) => ({
      id: r.id,
      learner: r.learner,
      context: r.context,
      lab: r.lab,
      provider: r.provider,
      lastActivityAt: new Date(r.last_activity_at),
      claimedAt: r.claimed_at ? new Date(r.claimed_at) : null,
    }));
  }
}

/** The key of extensionTotals' map. */
export function extensionKey(learner: string, lab: string): string {
  return `${learner}\u0000${lab}`;
}
