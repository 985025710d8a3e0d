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

/** A reset that takes a pool stack's environment for the learner's stack (PoolStore.takeForReset). */
export interface PoolReset {
  /** The learner's stack, as the reset read it. */
  id: string;
  state: StackState;
  lab: string;
  /** The pool's run ('' for a lab-wide pool). */
  poolRun: string;
  templateHash: string;
  /** Providers the reset must not go to (StackService.avoidOnReset): their pool stacks are not taken. */
  avoid: readonly string[];
  /** The learner's stack's new reaper deadline and timeouts (a fresh launch's, as freshLaunch sets them). */
  deleteBy: Date;
  suspendTimeout: number;
  deleteAge: number;
  launchTimeout: number;
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
const RESET_TOOK = reason('history.resetFromPool');
const RESET_GAVE = reason('history.poolTookResetOld');

/** The columns that are a stack's environment on its provider: what a reset from the pool exchanges. */
const ENVIRONMENT = ['provider', 'provider_stack_id', 'provider_stack_name', 'public_ip', 'outputs', 'secrets', 'template_hash'] as const;

/** States of the learner's stack a reset can take a pool stack from: no operation runs on it, and it may go to RESUME_PENDING. */
export const RESETTABLE_FROM_POOL = ['READY', 'SUSPENDED', 'SUSPEND_FAILED', 'RESUME_FAILED'] as const satisfies readonly StackState[];

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

  /**
   * A reset that takes a pool stack (docs/pools.md): the learner's stack keeps its id, history and
   * course, and takes the pool stack's environment (provider, provider stack, outputs, sealed secrets),
   * going to RESUME_PENDING with `personalize` set as a first-launch claim does; the pool stack's row
   * takes the learner's old environment, leaves the pool and goes to DELETE_PENDING, so a worker
   * deletes the old environment as it deletes any stack. One statement: either both rows have moved,
   * with their history events, or neither (the learner's stack was no longer in `state`, or no pool
   * stack of the lab, run and template is ready outside `avoid`), and every provider stack is named by
   * exactly one row at every moment, so the reconciler never sees one as nobody's.
   * The learner's `claimed_at` is left as it is: the time before the reset was theirs, not the pool's.
   */
  async takeForReset(r: PoolReset): Promise<{ stack: Stack; old: Stack } | null> {
    assertTransitions(RESETTABLE_FROM_POOL, 'RESUME_PENDING');
    assertTransitions(CLAIMABLE_STATES, 'DELETE_PENDING');
    const env = ENVIRONMENT.join(', ');
    const from = (source: string) => ENVIRONMENT.map((c) => `${c} = ${source}.${c}`).join(', ');
    const rows = await this.db.query<StackRow & { prev_state: StackState; which: 'learner' | 'old' }>(
      `WITH x AS (SELECT id, state, ${env} FROM stacks WHERE id = $1 AND state = $2 AND NOT pool AND state = ANY($7::text[]) FOR UPDATE),
       p AS (SELECT id, state, ${env} FROM stacks
             WHERE pool AND lab = $3 AND run = $4 AND template_hash = $5 AND state = ANY($6::text[])
               AND NOT (coalesce(provider, '') = ANY($8::text[])) AND EXISTS (SELECT 1 FROM x)
             ORDER BY (state = 'READY') DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED),
       mine AS (UPDATE stacks s SET ${from('p')}, state = 'RESUME_PENDING', personalize = p.state,
                  tried_providers = '{}', relaunch = false, attempts = 0, error = NULL, error_code = NULL,
                  last_activity_at = $9, state_changed_at = $9, updated_at = $9, suspend_at = NULL, suspend_by = NULL,
                  shelve_at = NULL, departed_at = NULL, departure_suspend_at = NULL, delete_by = $10,
                  suspend_timeout = $11, delete_age = $12, launch_timeout = $13, lease_owner = NULL, lease_until = NULL, op_deadline = NULL
                FROM x, p WHERE s.id = x.id AND s.state = x.state RETURNING ${stackColumns('s')}, x.state AS prev_state),
       old AS (UPDATE stacks s SET ${from('x')}, state = 'DELETE_PENDING', pool = false, personalize = NULL,
                 tried_providers = '{}', relaunch = false, attempts = 0, error = NULL, error_code = NULL,
                 state_changed_at = $9, updated_at = $9, suspend_at = NULL, delete_by = NULL, shelve_at = NULL,
                 lease_owner = NULL, lease_until = NULL, op_deadline = NULL
               FROM x, p WHERE s.id = p.id AND EXISTS (SELECT 1 FROM mine) RETURNING ${stackColumns('s')}, p.state AS prev_state),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, prev_state, state, $15, $16, $17::jsonb, $14, $9, last_activity_at FROM mine
              UNION ALL
              SELECT id, prev_state, state, $18, $19, $20::jsonb, $14, $9, last_activity_at FROM old)
       SELECT *, 'learner' AS which FROM mine UNION ALL SELECT *, 'old' AS which FROM old`,
      [
        r.id,
        r.state,
        r.lab,
        r.poolRun,
        r.templateHash,
        CLAIMABLE_STATES,
        RESETTABLE_FROM_POOL,
        r.avoid,
        r.now,
        r.deleteBy,
        r.suspendTimeout,
        r.deleteAge,
        r.launchTimeout,
        r.actor,
        ...said(RESET_TOOK),
        ...said(RESET_GAVE),
      ],
    );
    const mine = rows.find((row) => row.which === 'learner');
    const old = rows.find((row) => row.which === 'old');
    if (!mine && !old) return null;
    // Both or neither: p is locked for this statement, so one without the other cannot happen; were it to, the
    // throw rolls the launch's transaction back rather than leave two rows on one environment.
    if (!mine || !old) throw new Error(`reset from the pool moved ${mine ? 'the learner stack' : 'the pool stack'} alone`);
    return { stack: toStack(mine), old: toStack(old) };
  }

  /**
   * The highest generation among the provider stack names starting with `prefix` (a stack's own
   * `stacklab-<deployment>-<id>-`) that any row holds, 0 when none does. A learner's stack that took a
   * pool stack's environment holds the pool stack's name; its own last name lives on in the row that
   * deleted it, and its next launch must not reuse it (a relaunch never adopts a dying stack).
   */
  async lastGeneration(prefix: string): Promise<number> {
    const rows = await this.db.query<{ provider_stack_name: string }>(`SELECT provider_stack_name FROM stacks WHERE starts_with(provider_stack_name, $1)`, [prefix]);
    let last = 0;
    for (const row of rows) last = Math.max(last, Number(/^\d+/.exec(row.provider_stack_name.slice(prefix.length))?.[0] ?? 0));
    return last;
  }
}
