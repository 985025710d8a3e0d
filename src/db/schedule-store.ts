/**
 * SQL for class schedules (migrations 018 and 020, docs/pools.md): the class times added through the API or the
 * CLI, and what the schedule needs to know of a course (its labs, who has arrived).
 */
import type { ClassSession } from '../domain/class-schedule.ts';
import type { Queryable } from './database.ts';

interface SessionRow {
  id: string;
  course: string;
  lab: string | null;
  starts_at: Date | string;
  ends_at: Date | string;
  learners: number;
  lead_seconds: number;
  weekly_until: Date | string | null;
  time_zone: string | null;
}

const date = (v: Date | string) => (v instanceof Date ? v : new Date(v));

function toSession(r: SessionRow): ClassSession {
  return {
    id: r.id,
    course: r.course,
    lab: r.lab,
    start: date(r.starts_at),
    end: date(r.ends_at),
    learners: Number(r.learners),
    leadSeconds: Number(r.lead_seconds),
    weeklyUntil: r.weekly_until === null ? null : date(r.weekly_until),
    timeZone: r.time_zone ?? null,
    source: 'store',
  };
}

export class ScheduleStore {
  constructor(private readonly db: Queryable) {}

  async insert(s: Omit<ClassSession, 'source'>, actor: string, now: Date): Promise<ClassSession> {
    const rows = await this.db.query<SessionRow>(
      `INSERT INTO class_sessions (id, course, lab, starts_at, ends_at, learners, lead_seconds, weekly_until, time_zone, actor, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [s.id, s.course, s.lab, s.start, s.end, s.learners, s.leadSeconds, s.weeklyUntil, s.timeZone, actor, now],
    );
    return toSession(rows[0]!);
  }

  /** Every stored class, or those of one course, by start. */
  async list(course?: string): Promise<ClassSession[]> {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM class_sessions WHERE $1::text IS NULL OR course = $1 ORDER BY starts_at, id`,
      [course ?? null],
    );
    return rows.map(toSession);
  }

  /**
   * The classes that may still have a pool window open at or after `now` (the last occurrence's end is
   * not past), so the filler's pass reads only those. The week's margin also covers a zoned class's
   * last occurrence, an hour or so off the first's UTC time.
   */
  async current(now: Date): Promise<ClassSession[]> {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM class_sessions
       WHERE ends_at + (coalesce(weekly_until, starts_at) - starts_at) + interval '7 days' > $1
       ORDER BY starts_at, id`,
      [now],
    );
    return rows.map(toSession);
  }

  async remove(id: string): Promise<boolean> {
    const rows = await this.db.query(`DELETE FROM class_sessions WHERE id = $1 RETURNING id`, [id]);
    return rows.length > 0;
  }

  /** Labs the course's learners have stacks of (a pool's stacks belong to no course). */
  async courseLabs(course: string): Promise<string[]> {
    const rows = await this.db.query<{ lab: string }>(`SELECT DISTINCT lab FROM stacks WHERE context = $1 AND NOT pool`, [course]);
    return rows.map((r) => r.lab);
  }

  /**
   * Per lab, the course's learners who have a stack of it in any state, deleted too: their next launch
   * comes back to it or relaunches it, never takes from a pool.
   */
  async arrived(course: string, labs: readonly string[]): Promise<Map<string, number>> {
    if (labs.length === 0) return new Map();
    const rows = await this.db.query<{ lab: string; n: number }>(
      `SELECT lab, count(*)::int AS n FROM stacks WHERE context = $1 AND lab = ANY($2::text[]) AND NOT pool GROUP BY lab`,
      [course, labs],
    );
    return new Map(rows.map((r) => [r.lab, Number(r.n)]));
  }
}
