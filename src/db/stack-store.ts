/**
 * SQL for stacks. Every state change goes through a method here that checks the current state in the
 * same statement (compare-and-set) and appends the event in the same statement too, so a change and its
 * history can never disagree and two workers can never both move one stack. Each such method refuses a
 * pair the transition table (domain/states.ts) does not allow before it reaches the database, which
 * refuses it again (migration 006). The sweeps' statements are named methods here: the store owns its SQL
 * and its parameter numbering. Which stacks are idle, dormant or abandoned is not said here: the store
 * offers the sweeps candidates (an index-only prefilter, a superset of the rule) and moves the ones the
 * sweep chose with domain/policy.ts `nextAction`, each only if unchanged since it was read.
 * Only services/ and jobs/ (through services) call the writers here.
 */
import type { Stack, StackEvent } from '../domain/stack.ts';
import { reason as historyReason, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import { ABANDONABLE_STATES } from '../domain/policy.ts';
import { CLAIM_TARGET, IN_PROGRESS_STATES, OUTCOME, PENDING_STATES, assertTransitions, type InProgressState, type PendingState, type StackState } from '../domain/states.ts';
import type { Queryable } from './database.ts';
import { PoolStore } from './pool-store.ts';
import { prepared } from './prepared.ts';
import { claimSql, type ClaimInput } from './stack-claims.ts';
import type { StackErrorCode } from '../domain/stack-errors.ts';
import { ACTIVITY_ONLY } from './stack-changes.ts';
import { reasonColumns as said, stackColumns, toEvent, toStack, type EventRow, type StackRow } from './stack-rows.ts';

/** Columns a transition or update may set, besides the state itself. */
export interface StackChanges {
  provider?: string | null;
  provider_stack_id?: string | null;
  tried_providers?: string[];
  error?: string | null;
  error_code?: StackErrorCode | null;
  attempts?: number;
  public_ip?: string | null;
  outputs?: Record<string, unknown>;
  secrets?: string | null;
  last_activity_at?: Date;
  suspend_at?: Date | null;
  suspend_by?: Date | null;
  departed_at?: Date | null;
  departure_suspend_at?: Date | null;
  delete_by?: Date | null;
  shelve_after?: number;
  shelve_at?: Date | null;
  relaunch?: boolean;
  lease_owner?: string | null;
  lease_until?: Date | null;
  op_deadline?: Date | null;
  provider_stack_name?: string;
  run?: string;
  suspend_timeout?: number;
  delete_age?: number;
  launch_timeout?: number;
  /** Cleared once a claimed pool stack is the learner's (docs/pools.md). */
  personalize?: 'READY' | null;
}

export interface Guard {
  /** The update only happens while this worker holds the lease. */
  leaseOwner?: string;
}

export interface NewStack {
  id: string;
  learner: string;
  context: string;
  lab: string;
  run: string;
  providerStackName: string;
  suspendTimeout: number;
  deleteAge: number;
  launchTimeout: number;
  now: Date;
}

export interface StackFilter {
  state?: StackState[];
  lab?: string;
  learner?: string;
  context?: string;
  provider?: string;
  limit?: number;
  offset?: number;
}

/** What a sweep's bulk move records: when, at most how many, and the event's reason and actor. */
export interface SweepMove {
  now: Date;
  limit: number;
  reason: HistoryReason;
  actor: string;
}

/** A stack a sweep's prefilter found, with the row version it was read at (for compare-and-set). */
export interface SweepCandidate {
  stack: Stack;
  version: string;
}

/** A candidate the sweep chose to move, with its event's reason. */
export interface SweepPick extends SweepCandidate {
  reason: HistoryReason;
}

/** When and by whom a sweep's chosen stacks move. */
export interface SweptMove {
  now: Date;
  actor: string;
}

/** A candidate left alone whose review time moves to its real deadline (null: it has none, and keeps none). */
export interface SweepReview {
  id: string;
  version: string;
  review: Date | null;
}

/** Binds a value as the next positional parameter and returns its placeholder. */
type Bind = (value: unknown) => string;

/** The request a failed operation's retry makes. */
const RETRY_TARGET = { SUSPEND_FAILED: 'SUSPEND_PENDING', DELETE_FAILED: 'DELETE_PENDING', SHELVE_FAILED: 'SHELVE_PENDING' } as const satisfies Partial<Record<StackState, PendingState>>;

const JSON_COLUMNS = new Set(['outputs']);

const CLAIMED = said(historyReason('history.claimedByWorker'));
const TAKEN_OVER = said(historyReason('history.leaseTakenOver'));

function assignments(changes: StackChanges, params: unknown[]): string[] {
  return Object.entries(changes)
    .filter(([, value]) => value !== undefined)
    .map(([column, value]) => {
      params.push(JSON_COLUMNS.has(column) ? JSON.stringify(value) : value);
      return `${column} = $${params.length}`;
    });
}

/** A stack by its id, and a learner's stack of a lab in a course: unique keys, sent prepared (db/prepared.ts). */
const BY_ID = `SELECT ${stackColumns()} FROM stacks WHERE id = $1`;
const BY_KEY = `SELECT ${stackColumns()} FROM stacks WHERE learner = $1 AND context = $2 AND lab = $3`;

/** A FROM item that lets the statement's own transaction commit without waiting for the WAL flush. */
const RELAXED_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`;

/**
 * The keepalive write; its transaction is activity-only (no change announcement, see migration 005) and
 * commits without waiting for the WAL flush (see touchReady).
 */
const TOUCH_READY = `UPDATE stacks s SET last_activity_at = GREATEST(s.last_activity_at, v.at), updated_at = v.at,
        -- Unchanged (so still heap-only) when set; a READY stack without a review time gets one.
        suspend_at = COALESCE(s.suspend_at, v.at + make_interval(secs => s.suspend_timeout)),
        delete_by = COALESCE(s.delete_by, v.at + make_interval(secs => s.delete_age))
 FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at),
      ${RELAXED_COMMIT}, ${ACTIVITY_ONLY}
 WHERE s.id = v.id AND s.state = 'READY'`;

/**
 * A claimed stack, with what the claim read beside it: the state it was claimed in, when its work was
 * asked for, and for a resume the state the learner's request found it in (null when not a resume).
 */
export type ClaimedStack = Stack & { claimedFrom: StackState; requestedAt: Date | null; resumeRequestedFrom: StackState | null };

export class StackStore {
  constructor(private readonly db: Queryable) {}

  withTransaction(tx: Queryable): StackStore {
    return new StackStore(tx);
  }

  /** The warm pools' statements, on the same connection (or transaction). */
  pool(): PoolStore {
    return new PoolStore(this.db);
  }

  /** Inserts a new stack in LAUNCH_PENDING unless one exists for (learner, context, lab); returns the row either way. */
  async insertOrGet(s: NewStack, actor: string): Promise<{ stack: Stack; created: boolean }> {
    const rows = await this.db.query<StackRow & { inserted: boolean }>(
      `WITH ins AS (
         INSERT INTO stacks (id, learner, context, lab, run, state, provider_stack_name, suspend_timeout, delete_age,
                             launch_timeout, last_activity_at, delete_by, state_changed_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'LAUNCH_PENDING', $6, $7::int, $8::int, $9::int, $10::timestamptz, $10::timestamptz + make_interval(secs => $8::int), $10, $10, $10)
         ON CONFLICT (learner, context, lab) DO NOTHING
         RETURNING ${stackColumns()}),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, NULL, state, $12, $13, $14::jsonb, $11, $10, last_activity_at FROM ins)
       SELECT *, true AS inserted FROM ins`,
      [s.id, s.learner, s.context, s.lab, s.run, s.providerStackName, s.suspendTimeout, s.deleteAge, s.launchTimeout, s.now, actor, ...said(historyReason('history.launchRequested'))],
    );
    if (rows[0]) return { stack: toStack(rows[0]), created: true };
    const existing = await this.findByKey(s.learner, s.context, s.lab);
    if (!existing) throw new Error(`stack for ${s.learner}/${s.context}/${s.lab} vanished during launch`);
    return { stack: existing, created: false };
  }

  async get(id: string): Promise<Stack | null> {
    const rows = await this.db.query<StackRow>(BY_ID, [id], prepared(BY_ID));
    return rows[0] ? toStack(rows[0]) : null;
  }

  async getSealedSecrets(id: string): Promise<string | null> {
    const rows = await this.db.query<{ secrets: string | null }>('SELECT secrets FROM stacks WHERE id = $1', [id]);
    return rows[0]?.secrets ?? null;
  }

  async findByKey(learner: string, context: string, lab: string): Promise<Stack | null> {
    const rows = await this.db.query<StackRow>(BY_KEY, [learner, context, lab], prepared(BY_KEY));
    return rows[0] ? toStack(rows[0]) : null;
  }

  async list(filter: StackFilter = {}): Promise<Stack[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.state?.length) add('state = ANY(?::text[])', filter.state);
    if (filter.lab) add('lab = ?', filter.lab);
    if (filter.learner) add('learner = ?', filter.learner);
    if (filter.context) add('context = ?', filter.context);
    if (filter.provider) add('provider = ?', filter.provider);
    params.push(filter.limit ?? 100, filter.offset ?? 0);
    const rows = await this.db.query<StackRow>(
      `SELECT ${stackColumns()} FROM stacks ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY created_at, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return rows.map(toStack);
  }

  /**
   * When the stack last entered `state`, from the event log (so any process can tell, after restarts):
   * the start of the operation that state requests. `notFrom` skips entries from that state (a launch
   * that failed over to the next provider re-enters LAUNCH_PENDING from CREATING; it began earlier).
   */
  async enteredAt(stackId: string, state: StackState, notFrom?: StackState): Promise<Date | null> {
    const rows = await this.db.query<{ at: Date | string }>(
      `SELECT at FROM stack_events WHERE stack_id = $1 AND kind = 'transition' AND to_state = $2 AND from_state IS DISTINCT FROM $3::text ORDER BY id DESC LIMIT 1`,
      [stackId, state, notFrom ?? null],
    );
    return rows[0] ? new Date(rows[0].at) : null;
  }

  /** The catalogue key and values of the entry that put the stack in `state` last (its failure, for a failed stack). */
  async reasonInto(stackId: string, state: StackState): Promise<Pick<StackEvent, 'reasonKey' | 'reasonValues'> | null> {
    const rows = await this.db.query<EventRow>(
      `SELECT * FROM stack_events WHERE stack_id = $1 AND kind = 'transition' AND to_state = $2 ORDER BY id DESC LIMIT 1`,
      [stackId, state],
    );
    if (!rows[0]) return null;
    const { reasonKey, reasonValues } = toEvent(rows[0]);
    return reasonKey ? { reasonKey, reasonValues } : null;
  }

  async events(stackId: string): Promise<StackEvent[]> {
    const rows = await this.db.query<EventRow>('SELECT * FROM stack_events WHERE stack_id = $1 ORDER BY id', [stackId]);
    return rows.map(toEvent);
  }

  /**
   * Records what course staff or an operator did to a stack without moving it (a take-over of the
   * learner's terminal, a budget extension): an entry of kind `staff_action` with the stack's current
   * state as both from and to (migration 015 refuses anything else). The stack's row is share-locked
   * while the entry is written, so a transition under way finishes first and the entry names the state
   * it left. Returns null when the stack does not exist.
   */
  async recordStaffAction(input: { id: string; what: HistoryReason; actor: string; now: Date }): Promise<StackEvent | null> {
    const rows = await this.db.query<EventRow>(
      `WITH s AS (SELECT id, state, last_activity_at FROM stacks WHERE id = $1 FOR SHARE)
       INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at, kind)
       SELECT id, state, state, $4, $5, $6::jsonb, $2, $3, last_activity_at, 'staff_action' FROM s
       RETURNING *`,
      [input.id, input.actor, input.now, ...said(input.what)],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  /**
   * Moves a stack from one of `from` to `to` and records the event, in one statement.
   * Returns null when the stack was not in one of `from` (or the guard failed): somebody else moved it.
   * Throws IllegalTransitionError when the table does not allow one of `from` -> `to` (a bug in the caller).
   */
  async transition(input: {
    id: string;
    from: readonly StackState[];
    to: StackState;
    reason: HistoryReason;
    actor: string;
    now: Date;
    changes?: StackChanges;
    guard?: Guard;
    /**
     * Commit without waiting for the WAL flush (only outside a transaction of the caller's): for a move
     * that, were PostgreSQL itself to crash a moment later and lose it, is made again (Operations.finish).
     */
    relaxed?: boolean;
  }): Promise<Stack | null> {
    assertTransitions(input.from, input.to);
    const [text, key, values] = said(input.reason);
    const params: unknown[] = [input.id, input.from, input.to, input.now, text, input.actor, key, values];
    const sets = assignments(input.changes ?? {}, params);
    let guard = '';
    if (input.guard?.leaseOwner !== undefined) {
      params.push(input.guard.leaseOwner);
      guard = ` AND lease_owner = $${params.length}`;
    }
    const sql = `WITH prev AS (SELECT id, state FROM stacks WHERE id = $1 AND state = ANY($2::text[])${guard} FOR UPDATE),
       moved AS (UPDATE stacks s SET state = $3, state_changed_at = $4, updated_at = $4${sets.length ? ', ' + sets.join(', ') : ''}
                 FROM prev WHERE s.id = prev.id RETURNING ${stackColumns('s')}, prev.state AS prev_state),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, prev_state, state, $5, $7, $8::jsonb, $6, $4, last_activity_at FROM moved)
       ${input.relaxed ? `SELECT moved.* FROM moved, ${RELAXED_COMMIT}` : 'SELECT * FROM moved'}`;
    const rows = await this.db.query<StackRow>(sql, params, prepared(sql));
    return rows[0] ? toStack(rows[0]) : null;
  }

  /** Changes columns without a state change, only while the stack is in one of `states` (and the guard holds). */
  async update(id: string, states: readonly StackState[], changes: StackChanges, now: Date, guard: Guard = {}): Promise<Stack | null> {
    const params: unknown[] = [id, states, now];
    const sets = assignments(changes, params);
    let extra = '';
    if (guard.leaseOwner !== undefined) {
      params.push(guard.leaseOwner);
      extra = ` AND lease_owner = $${params.length}`;
    }
    const sql = `UPDATE stacks SET updated_at = $3${sets.length ? ', ' + sets.join(', ') : ''}
       WHERE id = $1 AND state = ANY($2::text[])${extra} RETURNING ${stackColumns()}`;
    const rows = await this.db.query<StackRow>(sql, params, prepared(sql));
    return rows[0] ? toStack(rows[0]) : null;
  }

  /**
   * Claims up to `limit` pieces of work for `worker`: pending requests (moved to their in-progress state)
   * and in-progress operations whose lease expired (a worker died: taken over as they are), oldest first.
   * SKIP LOCKED lets several workers claim at once without waiting on or double-claiming a row.
   */
  claim(input: ClaimInput & { limit: number }): Promise<ClaimedStack[]> {
    return this.claimWhere(
      input,
      input.limit,
      `state = ANY($1::text[]) OR (state = ANY($2::text[]) AND (lease_until IS NULL OR lease_until < $3))
         ORDER BY state_changed_at LIMIT $5`,
    );
  }

  /**
   * Claims the stacks `ids` that are still pending, as `claim` would: the worker's fast path for work
   * requested in its own process, whose ids it was told (jobs/worker.ts). Found by the primary key and
   * sent prepared (db/prepared.ts), it skips the general claim's search of the pending and expired
   * states and its planning, a few milliseconds of every learner's suspend or resume. Only pending
   * work: a take-over needs the general claim's look at the leases. Locked rows are skipped, as there.
   */
  claimPending(input: ClaimInput & { ids: readonly string[] }): Promise<ClaimedStack[]> {
    if (input.ids.length === 0) return Promise.resolve([]);
    return this.claimWhere(input, [...input.ids], `id = ANY($5::text[]) AND state = ANY($1::text[])`, true);
  }

  /** The claim's one statement, for the rows `pick` selects ($5 is `fifth`: the limit, or the ids). */
  private async claimWhere(input: ClaimInput, fifth: unknown, pick: string, prepare = false): Promise<ClaimedStack[]> {
    for (const [from, to] of Object.entries(CLAIM_TARGET)) assertTransitions([from as PendingState], to);
    const sql = claimSql(pick);
    const rows = await this.db.query<StackRow & { prev_state: StackState; requested_at: Date | string; resume_requested_from: StackState | null }>(
      sql,
      [
        PENDING_STATES,
        IN_PROGRESS_STATES,
        input.now,
        input.worker,
        fifth,
        input.suspendTaskTimeout,
        input.deleteTaskTimeout,
        input.leaseUntil,
        input.shelveTaskTimeout ?? input.suspendTaskTimeout,
        ...TAKEN_OVER,
        ...CLAIMED,
      ],
      prepare ? prepared(sql) : undefined,
    );
    return rows.map((row) => ({
      ...toStack(row),
      claimedFrom: row.prev_state,
      // A pending row's state_changed_at is when it entered that state: when the work was asked for. Not
      // for a take-over (the request is further back), nor a launch, which may have re-entered
      // LAUNCH_PENDING from CREATING on a failover and began at its first entry.
      requestedAt: row.prev_state !== row.state && row.prev_state !== 'LAUNCH_PENDING' ? new Date(row.requested_at) : null,
      resumeRequestedFrom: row.resume_requested_from ?? null,
    }));
  }

  /**
   * The suspender's candidates: READY stacks whose idle review time (suspend_at), explicit suspend_by or
   * departure grace (departure_suspend_at) has passed, oldest first, with the version each was read at.
   * This is not the idle rule (domain/policy.ts is) but an index-only prefilter that is a superset of it by
   * construction: a stack's idle deadline, policy.ts `deadline`, is never earlier than its review time, and
   * isIdle's other two reasons are these columns passed, so every stack `nextAction` would suspend is here.
   */
  suspendCandidates(now: Date, limit: number): Promise<SweepCandidate[]> {
    return this.candidates(
      `state = 'READY' AND (suspend_at <= $1 OR suspend_by <= $1 OR departure_suspend_at <= $1)`,
      'suspend_at NULLS LAST',
      now,
      limit,
    );
  }

  /** The shelving sweep's candidates: SUSPENDED stacks past their shelve review time (a superset of isDormant, as above). */
  shelveCandidates(now: Date, limit: number): Promise<SweepCandidate[]> {
    return this.candidates(`state = 'SUSPENDED' AND shelve_at <= $1`, 'shelve_at', now, limit);
  }

  /** The reaper's candidates: stacks in an abandonable state past their delete review time (a superset of isAbandoned, as above). */
  deleteCandidates(now: Date, limit: number): Promise<SweepCandidate[]> {
    return this.candidates(`state = ANY($3::text[]) AND delete_by <= $1`, 'delete_by', now, limit, [ABANDONABLE_STATES]);
  }

  /** READY -> SUSPEND_PENDING for the stacks the suspender chose, each unless it changed since it was read. */
  requestSuspend(picks: readonly SweepPick[], move: SweptMove): Promise<Stack[]> {
    return this.moveUnchanged(['READY'], 'SUSPEND_PENDING', picks, move);
  }

  /** SUSPENDED -> SHELVE_PENDING for the stacks the suspender chose as dormant, each unless it changed since it was read. */
  requestShelve(picks: readonly SweepPick[], move: SweptMove): Promise<Stack[]> {
    return this.moveUnchanged(['SUSPENDED'], 'SHELVE_PENDING', picks, move);
  }

  /** -> DELETE_PENDING for the stacks the reaper chose as abandoned, each unless it changed since it was read. */
  requestDelete(picks: readonly SweepPick[], move: SweptMove): Promise<Stack[]> {
    return this.moveUnchanged(ABANDONABLE_STATES, 'DELETE_PENDING', picks, move);
  }

  private async candidates(where: string, orderBy: string, now: Date, limit: number, extra: unknown[] = []): Promise<SweepCandidate[]> {
    const rows = await this.db.query<StackRow & { version: string }>(
      `SELECT ${stackColumns()}, xmin::text AS version FROM stacks WHERE ${where} ORDER BY ${orderBy} LIMIT $2`,
      [now, limit, ...extra],
    );
    return rows.map((row) => ({ stack: toStack(row), version: row.version }));
  }

  /**
   * Moves the chosen stacks from one of `from` to `to` (attempts reset) and records their events, in one
   * statement. Compare-and-set on the row version (xmin changes with every write of the row): a stack a
   * keepalive, launch or transition wrote since the sweep read it stays as it is, and the next sweep judges
   * it again; locked rows are skipped (another writer has them).
   */
  private async moveUnchanged(from: readonly StackState[], to: StackState, picks: readonly SweepPick[], move: SweptMove): Promise<Stack[]> {
    assertTransitions(from, to);
    if (picks.length === 0) return [];
    const reasons = picks.map((p) => said(p.reason));
    const rows = await this.db.query<StackRow>(
      `WITH c AS (SELECT s.id, s.state, v.reason, v.reason_key, v.reason_values FROM stacks s
                  JOIN unnest($1::text[], $2::text[], $3::text[], $8::text[], $9::text[]) AS v(id, version, reason, reason_key, reason_values) ON s.id = v.id
                  -- id = ANY: the primary key finds the few rows (a join on unnest alone may scan the table).
                  WHERE s.id = ANY($1::text[]) AND s.xmin::text = v.version AND s.state = ANY($4::text[])
                  FOR UPDATE OF s SKIP LOCKED),
       moved AS (UPDATE stacks s SET state = $5, state_changed_at = $6, updated_at = $6, attempts = 0
                 FROM c WHERE s.id = c.id
                 RETURNING ${stackColumns('s')}, c.state AS prev_state, c.reason AS event_reason, c.reason_key AS event_reason_key, c.reason_values AS event_reason_values),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, prev_state, state, event_reason, event_reason_key, event_reason_values::jsonb, $7, $6, last_activity_at FROM moved)
       SELECT * FROM moved`,
      [
        picks.map((p) => p.stack.id),
        picks.map((p) => p.version),
        reasons.map((r) => r[0]),
        from,
        to,
        move.now,
        move.actor,
        reasons.map((r) => r[1]),
        reasons.map((r) => r[2]),
      ],
    );
    return rows.map(toStack);
  }

  /**
   * Failed suspends or deletes asked for again, while fewer than `maxAttempts` were made and the back-off
   * (`backoffSeconds` times the attempts so far) has passed since they failed.
   */
  retryFailed(failed: keyof typeof RETRY_TARGET, move: SweepMove & { maxAttempts: number; backoffSeconds: number }): Promise<Stack[]> {
    return this.bulkMove(move, {
      from: [failed],
      to: RETRY_TARGET[failed],
      where: (now, bind) => `attempts < ${bind(move.maxAttempts)} AND state_changed_at <= ${now} - make_interval(secs => attempts * ${bind(move.backoffSeconds)})`,
      orderBy: 'state_changed_at',
    });
  }

  /** The watchdog: operations in `inProgress` past their deadline -> its failed state, with `message` as the error. */
  timeOut(inProgress: InProgressState, message: string, move: SweepMove): Promise<Stack[]> {
    return this.bulkMove(move, {
      from: [inProgress],
      to: OUTCOME[inProgress].failed,
      where: (now) => `op_deadline <= ${now}`,
      orderBy: 'op_deadline',
      set: (bind) => `error = ${bind(message)}, error_code = 'TIMEOUT', lease_owner = NULL, lease_until = NULL, op_deadline = NULL, attempts = s.attempts + 1`,
    });
  }

  /**
   * Moves up to `limit` stacks in one of `from` matching `where` to `to`, oldest first by `orderBy`, and
   * records their events; locked rows are skipped (another sweep has them). `where` and `set` get the
   * placeholder of `now` and bind their own values, so no fragment depends on another's numbering.
   */
  private async bulkMove(
    move: SweepMove,
    q: {
      from: readonly StackState[];
      to: StackState;
      where: (now: string, bind: Bind) => string;
      orderBy: string;
      set?: (bind: Bind) => string;
    },
  ): Promise<Stack[]> {
    assertTransitions(q.from, q.to);
    const params: unknown[] = [];
    const bind: Bind = (value) => {
      params.push(value);
      return `$${params.length}`;
    };
    const now = `${bind(move.now)}::timestamptz`;
    const set = q.set?.(bind);
    const [text, key, values] = said(move.reason);
    const reason = bind(text);
    const reasonKey = bind(key);
    const reasonValues = bind(values);
    const rows = await this.db.query<StackRow>(
      `WITH c AS (SELECT id, state FROM stacks WHERE state = ANY(${bind(q.from)}::text[]) AND (${q.where(now, bind)})
                  ORDER BY ${q.orderBy} LIMIT ${bind(move.limit)} FOR UPDATE SKIP LOCKED),
       moved AS (UPDATE stacks s SET state = ${bind(q.to)}, state_changed_at = ${now}, updated_at = ${now}${set ? ', ' + set : ''}
                 FROM c WHERE s.id = c.id RETURNING ${stackColumns('s')}, c.state AS prev_state),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, prev_state, state, ${reason}, ${reasonKey}, ${reasonValues}::jsonb, ${bind(move.actor)}, ${now}, last_activity_at FROM moved)
       SELECT * FROM moved`,
      params,
    );
    return rows.map(toStack);
  }

  /**
   * The keepalive fast path, for many stacks in one statement: each READY stack's last activity moves to
   * its keepalive time. Stacks not READY are left out of the result (their callers take the general path).
   *
   * Only last_activity_at and updated_at change, and no index covers them, so the update is heap-only
   * (HOT): no index entries are written (PostgreSQL compares indexed columns by value, so the COALESCEs,
   * which leave them as they are, do not count). The idle and delete deadlines follow from last activity (see
   * stack-rows.ts); the sweeps move the indexed review times when they find them passed (reviewSuspendAt, reviewDeleteBy).
   *
   * The write commits asynchronously (synchronous_commit off for this statement's own transaction, set by
   * set_config(..., true) inside it, so one round trip and the session keeps its default). Waiting for the
   * WAL flush was most of a keepalive's time; what it protected is small: if PostgreSQL itself crashes,
   * at most its last ~0.6 s of activity writes are lost (never corrupted), so a stack may be judged idle up
   * to one keepalive interval early. State changes and everything else keep full durability.
   */
  async touchReady(ids: string[], at: Date[]): Promise<Stack[]> {
    const rows = await this.db.query<StackRow>(`${TOUCH_READY} RETURNING ${stackColumns('s')}`, [ids, at], { prepare: 'stacklab_touch_ready' });
    return rows.map(toStack);
  }

  /**
   * The same write for keepalives already answered from a cached view (services/activity-ledger.ts):
   * only the ids come back, those of the stacks that were still READY.
   */
  async recordActivity(ids: string[], at: Date[]): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(`${TOUCH_READY} RETURNING s.id`, [ids, at], { prepare: 'stacklab_record_activity' });
    return rows.map((row) => row.id);
  }

  /**
   * Moves passed review times of stacks still in use to their real deadline (the sweep passes the
   * deadline a Stack shows, domain/policy.ts `deadline`), so the sweeps' index scans stay small: one index
   * write per active stack per timeout, instead of one per keepalive. A departure that activity cancelled
   * (the sweep says which) is cleared, so the stack leaves the suspender's candidates. Only forward, and
   * only for rows unchanged since the sweep read them (the version, as in moveUnchanged). Activity-only:
   * the deadline a view shows is the same before and after, so cached views need not hear of it.
   * Returns how many moved.
   */
  async reviewSuspendAt(reviews: ReadonlyArray<SweepReview & { clearDeparture: boolean }>): Promise<number> {
    if (reviews.length === 0) return 0;
    const rows = await this.db.query(
      `UPDATE stacks s SET suspend_at = GREATEST(s.suspend_at, v.review),
              departed_at = CASE WHEN v.clear THEN NULL ELSE s.departed_at END,
              departure_suspend_at = CASE WHEN v.clear THEN NULL ELSE s.departure_suspend_at END
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[]) AS v(id, version, review, clear), ${ACTIVITY_ONLY}
       WHERE s.id = ANY($1::text[]) AND s.id = v.id AND s.xmin::text = v.version AND s.state = 'READY'
       RETURNING s.id`,
      [reviews.map((r) => r.id), reviews.map((r) => r.version), reviews.map((r) => r.review), reviews.map((r) => r.clearDeparture)],
    );
    return rows.length;
  }

  /** The same for the shelving sweep's shelve_at of suspended stacks. */
  reviewShelveAt(reviews: readonly SweepReview[]): Promise<number> {
    return this.review('shelve_at', `s.state = 'SUSPENDED'`, reviews);
  }

  /** The same for the reaper's delete_by. */
  reviewDeleteBy(reviews: readonly SweepReview[]): Promise<number> {
    return this.review('delete_by', 's.delete_by IS NOT NULL', reviews);
  }

  private async review(column: 'shelve_at' | 'delete_by', where: string, reviews: readonly SweepReview[]): Promise<number> {
    if (reviews.length === 0) return 0;
    const rows = await this.db.query(
      `UPDATE stacks s SET ${column} = GREATEST(s.${column}, v.review)
       FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS v(id, version, review), ${ACTIVITY_ONLY}
       WHERE s.id = ANY($1::text[]) AND s.id = v.id AND s.xmin::text = v.version AND ${where}
       RETURNING s.id`,
      [reviews.map((r) => r.id), reviews.map((r) => r.version), reviews.map((r) => r.review)],
    );
    return rows.length;
  }

  /** Extends this worker's lease; false when the lease was lost (taken over, or the stack moved on). */
  async renewLease(id: string, worker: string, until: Date, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE stacks SET lease_until = $3, updated_at = $4 WHERE id = $1 AND lease_owner = $2 AND state = ANY($5::text[]) RETURNING id`,
      [id, worker, until, now, IN_PROGRESS_STATES],
    );
    return rows.length === 1;
  }

  /**
   * How long the last `limit` wake-ups from shelved on `provider` took, newest first, in seconds: from the
   * learner's request (UNSHELVE_PENDING) to READY, what the learner waited. Uses the partial index of
   * migration 010, so it reads a few hundred history rows, not the whole history.
   */
  async recentWakeSeconds(provider: string, limit: number): Promise<number[]> {
    const rows = await this.db.query<{ seconds: number }>(
      `SELECT extract(epoch FROM w.at - p.at)::float8 AS seconds
       FROM (SELECT id, stack_id, at FROM stack_events WHERE from_state = 'UNSHELVING' AND to_state = 'READY' ORDER BY id DESC LIMIT $2 * 10) w
       JOIN stacks s ON s.id = w.stack_id AND s.provider = $1
       CROSS JOIN LATERAL (SELECT at FROM stack_events p WHERE p.stack_id = w.stack_id AND p.id < w.id AND p.to_state = 'UNSHELVE_PENDING'
                           ORDER BY p.id DESC LIMIT 1) p
       ORDER BY w.id DESC LIMIT $2`,
      [provider, limit],
    );
    return rows.map((r) => Number(r.seconds));
  }

  /** Number of stacks on a provider in the given states (capacity accounting). */
  async countOnProvider(provider: string, states: readonly StackState[]): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM stacks WHERE provider = $1 AND state = ANY($2::text[])', [provider, states]);
    return rows[0]?.n ?? 0;
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM stacks GROUP BY state');
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  async byProviderStackNames(names: string[]): Promise<Stack[]> {
    if (names.length === 0) return [];
    const rows = await this.db.query<StackRow>(`SELECT ${stackColumns()} FROM stacks WHERE provider_stack_name = ANY($1::text[])`, [names]);
    return rows.map(toStack);
  }
}
