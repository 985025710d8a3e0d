/**
 * SQL for warm pools (docs/pools.md): pool stacks are ordinary rows of `stacks` with `pool` set and a
 * reserved learner (`pool:<id>`), so the workers, sweeps, capacity and history treat them like any
 * other. The claim hands one to a learner in one statement (compare-and-set under a row lock that other
 * claims skip), with its history event, so two learners can never get the same stack.
 */
import { CLAIMABLE_STATES, poolLearner } from '../domain/pool.ts';
import type { Stack } from '../domain/stack.ts';
import { assertTransitions, type StackState } from '../domain/states.ts';
import type { Queryable } from './database.ts';
import { reason } from '../infra/i18n/history-reasons.ts';
import { reasonColumns as said, stackColumns, toStack, type StackRow } from './stack-rows.ts';

export interface NewPoolStack {
  id: string;
  lab: string;
  run: string;
  providerStackName: string;
  templateHash: string;
  suspendTimeout: number;
  deleteAge: number;
  launchTimeout: number;
  now: Date;
}

export interface PoolClaim {
  lab: string;
  /** The pool's run ('' for a lab-wide pool). */
  poolRun: string;
  templateHash: string;
  learner: string;
  context: string;
  /** The run the learner's stack records (the launch's). */
  run: string;
  suspendBy: Date | null;
  actor: string;
  now: Date;
}

export interface PoolCount {
  lab: string;
  run: string;
  state: StackState;
  templateHash: string | null;
  n: number;
}

const LAUNCHED = reason('history.poolLaunched');
const CLAIMED = reason('history.poolClaimed');

export class PoolStore {
  constructor(private readonly db: Queryable) {}

  /**
   * A new pool stack in LAUNCH_PENDING, owned by nobody. It has no delete_by: the reaper never takes a
   * pool stack (nobody is there to abandon it); the pool drops its stacks itself.
   */
  async insert(s: NewPoolStack, actor: string): Promise<Stack> {
    const rows = await this.db.query<StackRow>(
      `WITH ins AS (
         INSERT INTO stacks (id, learner, context, lab, run, state, provider_stack_name, suspend_timeout, delete_age,
                             launch_timeout, last_activity_at, delete_by, state_changed_at, created_at, updated_at, pool, template_hash)
         VALUES ($1, $2, '', $3, $4, 'LAUNCH_PENDING', $5, $6::int, $7::int, $8::int, $9::timestamptz, NULL, $9, $9, $9, true, $10)
         RETURNING ${stackColumns()}),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, NULL, state, $12, $13, $14::jsonb, $11, $9, last_activity_at FROM ins)
       SELECT * FROM ins`,
      [s.id, poolLearner(s.id), s.lab, s.run, s.providerStackName, s.suspendTimeout, s.deleteAge, s.launchTimeout, s.now, s.templateHash, actor, ...said(LAUNCHED)],
    );
    return toStack(rows[0]!);
  }

  /** One pool's unclaimed stacks that are not deleted. */
  async stacks(lab: string, run: string): Promise<Stack[]> {
    const rows = await this.db.query<StackRow>(
      `SELECT ${stackColumns()} FROM stacks WHERE pool AND lab = $1 AND run = $2 AND state <> 'DELETED' ORDER BY created_at, id`,
      [lab, run],
    );
    return rows.map(toStack);
  }

  /** Unclaimed pool stacks that are not deleted, counted per pool, state and template. */
  async counts(): Promise<PoolCount[]> {
    const rows = await this.db.query<{ lab: string; run: string; state: StackState; template_hash: string | null; n: number }>(
      `SELECT lab, run, state, template_hash, count(*)::int AS n FROM stacks WHERE pool AND state <> 'DELETED'
       GROUP BY lab, run, state, template_hash ORDER BY lab, run, state`,
    );
    return rows.map((r) => ({ lab: r.lab, run: r.run, state: r.state, templateHash: r.template_hash, n: r.n }));
  }

  /**
   * Hands one ready or suspended pool stack of the current template to a learner: it becomes theirs
   * (learner, context, run), leaves the pool and goes to RESUME_PENDING with `personalize` set to the
   * state it was in, for a worker to resume it (if suspended) and personalize it. Running ones go first
   * (no resume to wait for), then the oldest. SKIP LOCKED: a concurrent claim takes the next stack
   * instead of waiting for this one; the `pool` test after the lock makes a stack claimed meanwhile
   * count as taken. Null: the pool has nothing to hand out.
   */
  async claim(c: PoolClaim): Promise<Stack | null> {
    assertTransitions(CLAIMABLE_STATES, 'RESUME_PENDING');
    const rows = await this.db.query<StackRow>(
      `WITH c AS (SELECT id, state FROM stacks
                  WHERE pool AND lab = $1 AND run = $2 AND template_hash = $3 AND state = ANY($4::text[])
                  ORDER BY (state = 'READY') DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),
       moved AS (UPDATE stacks s SET state = 'RESUME_PENDING', pool = false, personalize = c.state, claimed_at = $8,
                   learner = $5, context = $6, run = $7, state_changed_at = $8, updated_at = $8, last_activity_at = $8,
                   suspend_by = $9, attempts = 0, error = NULL, error_code = NULL, suspend_at = NULL, shelve_at = NULL
                 FROM c WHERE s.id = c.id AND s.pool RETURNING ${stackColumns('s')}, c.state AS prev_state),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, prev_state, state, $11, $12, $13::jsonb, $10, $8, last_activity_at FROM moved)
       SELECT * FROM moved`,
      [c.lab, c.poolRun, c.templateHash, CLAIMABLE_STATES, c.learner, c.context, c.run, c.now, c.suspendBy, c.actor, ...said(CLAIMED)],
    );
    return rows[0] ? toStack(rows[0]) : null;
  }
}
