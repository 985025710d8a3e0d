/** SQL for progress check runs (table check_runs, migration 002). */
import type { Queryable } from '../db/database.ts';
import type { CheckResult } from './score.ts';
import { inEnglish, sentence } from '../errors/sentence.ts';

export type CheckRunStatus = 'running' | 'completed' | 'error';

export interface CheckRun {
  id: string;
  stackId: string;
  learner: string;
  context: string;
  lab: string;
  status: CheckRunStatus;
  actor: string;
  startedAt: Date;
  deadline: Date;
  finishedAt: Date | null;
  passed: number | null;
  total: number | null;
  score: number | null;
  results: CheckResult[];
  /** A sentence for the learner when the run could not be carried out. */
  error: string | null;
}

interface CheckRunRow {
  id: string;
  stack_id: string;
  learner: string;
  context: string;
  lab: string;
  status: CheckRunStatus;
  actor: string;
  started_at: Date;
  deadline: Date;
  finished_at: Date | null;
  passed: number | null;
  total: number | null;
  score: number | null;
  results: CheckResult[] | string;
  error: string | null;
}

function toRun(row: CheckRunRow): CheckRun {
  return {
    id: row.id,
    stackId: row.stack_id,
    learner: row.learner,
    context: row.context,
    lab: row.lab,
    status: row.status,
    actor: row.actor,
    startedAt: new Date(row.started_at),
    deadline: new Date(row.deadline),
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
    passed: row.passed,
    total: row.total,
    score: row.score === null ? null : Number(row.score),
    results: typeof row.results === 'string' ? (JSON.parse(row.results) as CheckResult[]) : row.results,
    error: row.error,
  };
}

export interface NewCheckRun {
  id: string;
  stackId: string;
  learner: string;
  context: string;
  lab: string;
  actor: string;
  now: Date;
  deadline: Date;
}

export class CheckStore {
  constructor(private readonly db: Queryable & { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }) {}

  /**
   * Starts a run, or joins the one already running for the stack (`joined: true`). A running row past its
   * deadline was left by a process that died: it is closed as an error first, so it cannot block checks forever.
   */
  async begin(run: NewCheckRun): Promise<{ run: CheckRun; joined: boolean }> {
    return this.db.transaction(async (tx) => {
      // Stored in English like every run's error; a learner's page gets it translated (check-view.ts).
      await tx.query(
        `UPDATE check_runs SET status = 'error', finished_at = $2, error = $3
         WHERE stack_id = $1 AND status = 'running' AND deadline < $2`,
        [run.stackId, run.now, inEnglish(sentence('check.run.interrupted'))],
      );
      const inserted = await tx.query<CheckRunRow>(
        `INSERT INTO check_runs (id, stack_id, learner, context, lab, status, actor, started_at, deadline)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8)
         ON CONFLICT (stack_id) WHERE status = 'running' DO NOTHING
         RETURNING *`,
        [run.id, run.stackId, run.learner, run.context, run.lab, run.actor, run.now, run.deadline],
      );
      if (inserted.length) return { run: toRun(inserted[0]), joined: false };
      const running = await tx.query<CheckRunRow>(`SELECT * FROM check_runs WHERE stack_id = $1 AND status = 'running'`, [run.stackId]);
      if (!running.length) throw new Error('check run conflict without a running row');
      return { run: toRun(running[0]), joined: true };
    });
  }

  async complete(id: string, outcome: { passed: number; total: number; score: number; results: CheckResult[] }, now: Date): Promise<CheckRun | null> {
    const rows = await this.db.query<CheckRunRow>(
      `UPDATE check_runs SET status = 'completed', finished_at = $2, passed = $3, total = $4, score = $5, results = $6
       WHERE id = $1 AND status = 'running' RETURNING *`,
      [id, now, outcome.passed, outcome.total, outcome.score, JSON.stringify(outcome.results)],
    );
    return rows.length ? toRun(rows[0]) : null;
  }

  async fail(id: string, error: string, now: Date): Promise<CheckRun | null> {
    const rows = await this.db.query<CheckRunRow>(
      `UPDATE check_runs SET status = 'error', finished_at = $2, error = $3 WHERE id = $1 AND status = 'running' RETURNING *`,
      [id, now, error],
    );
    return rows.length ? toRun(rows[0]) : null;
  }

  async get(id: string): Promise<CheckRun | null> {
    const rows = await this.db.query<CheckRunRow>('SELECT * FROM check_runs WHERE id = $1', [id]);
    return rows.length ? toRun(rows[0]) : null;
  }

  /** The newest runs of a stack, newest first. */
  async forStack(stackId: string, limit = 10): Promise<CheckRun[]> {
    const rows = await this.db.query<CheckRunRow>('SELECT * FROM check_runs WHERE stack_id = $1 ORDER BY seq DESC LIMIT $2', [stackId, limit]);
    return rows.map(toRun);
  }

  /** Completed attempts of a learner for a lab in a context (across relaunches of the stack), in the order they started. */
  async attempts(key: { learner: string; context: string; lab: string }): Promise<CheckRun[]> {
    const rows = await this.db.query<CheckRunRow>(
      `SELECT * FROM check_runs WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'completed' ORDER BY seq`,
      [key.learner, key.context, key.lab],
    );
    return rows.map(toRun);
  }
}
