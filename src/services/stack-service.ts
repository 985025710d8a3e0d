/**
 * Lifecycle requests from the API, the lab page and the CLI. Requests only move a stack into a
 * `*_PENDING` state (durable work); workers (services/operations.ts) carry the work out.
 */
import { randomBytes } from 'node:crypto';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { LearnerUsage } from '../db/learner-usage.ts';
import { STACK_CHANGED_CHANNEL } from '../db/stack-changes.ts';
import { RESETTABLE_FROM_POOL } from '../db/pool-store.ts';
import { StackStore, type StackChanges, type StackFilter } from '../db/stack-store.ts';
import type { Lab } from '../domain/lab.ts';
import { poolKeyFor, templateHash } from '../domain/pool.ts';
import { holdsLearnerSlot, type LearnerLimits } from '../domain/learner-limits.ts';
import { addSeconds } from '../domain/policy.ts';
import type { Stack, StackEvent, StackSecrets } from '../domain/stack.ts';
import { reason, reasonText, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import { canTransition, FAILED_STATES, isIn, STATES, type StackState } from '../domain/states.ts';
import { AppError } from '../errors/api-errors.ts';
import { stackNameFor } from '../providers/stack-names.ts';
import { ActivityLedger } from './activity-ledger.ts';
import { LearnerQuota } from './learner-quota.ts';
import { blocksRunning, budgetDeadline, type BudgetStatus } from '../domain/usage-budget.ts';
import { UsageLimits } from './usage-limits.ts';
import { ReadyStackCache } from './ready-stack-cache.ts';
import { StatusWaits } from './status-waits.ts';
import { WakeEstimates } from './wake-estimates.ts';
import type { Clock } from '../infra/clock.ts';
import type { DomainEvents } from '../infra/events.ts';
import type { Keys } from '../infra/keys.ts';

export interface LaunchRequest {
  learner: string;
  context: string;
  lab: string;
  /** Course run for the template's `run` parameter; defaults to the context. */
  run?: string;
  actor: string;
}

export const RESET_CONFIRMATION = 'RESET';

/** States a launch request turns into a new environment (LAUNCH_PENDING): counted as a launch. */
const RELAUNCHABLE: readonly StackState[] = ['DELETED', 'LAUNCH_FAILED'];

/** States a delete or reset request may move to DELETE_PENDING (an operation in progress must finish first). */
const DELETABLE: readonly StackState[] = [
  'LAUNCH_PENDING',
  'CREATING',
  'READY',
  'SUSPEND_PENDING',
  'SUSPENDED',
  'RESUME_PENDING',
  'LAUNCH_FAILED',
  'SUSPEND_FAILED',
  'RESUME_FAILED',
  'DELETE_FAILED',
  'SHELVE_PENDING',
  'SHELVED',
  'UNSHELVE_PENDING',
  'SHELVE_FAILED',
  'UNSHELVE_FAILED',
];

/** Times a launch or reset re-reads the stack when another request moved it in between. */
const RACE_RETRIES = 5;

/** Every state a stack that still exists can be in. */
const LIVE_STATES = STATES.filter((state) => state !== 'DELETED');

/** About 1 KB a stack; beyond this many in use at once, keepalives for the rest wait for their write. */
const READY_CACHE_CAPACITY = 20_000;

/** Status requests waiting for their stack to change, at most, when the setting status_waiters is not given. */
const STATUS_WAITERS = 2000;

/** Relaunching clears everything the previous environment left on the row. */
export function freshLaunch(lab: Lab, now: Date, generation: string): StackChanges {
  return {
    provider: null,
    provider_stack_id: null,
    tried_providers: [],
    error: null,
    error_code: null,
    attempts: 0,
    public_ip: null,
    outputs: {},
    secrets: null,
    relaunch: false,
    last_activity_at: now,
    suspend_at: null,
    suspend_by: null,
    departed_at: null,
    departure_suspend_at: null,
    delete_by: addSeconds(now, lab.timeouts.deleteAge),
    suspend_timeout: lab.timeouts.suspend,
    delete_age: lab.timeouts.deleteAge,
    launch_timeout: lab.timeouts.launch,
    provider_stack_name: generation,
    lease_owner: null,
    lease_until: null,
    op_deadline: null,
  };
}

export function newStackId(): string {
  return randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x');
}

export class StackService {
  readonly store: StackStore;
  /** READY stacks keepalives can be answered from; empty (so unused) until `open` and after `close`. */
  readonly readyCache = new ReadyStackCache(READY_CACHE_CAPACITY);
  readonly activityLedger: ActivityLedger;
  private readonly quota: LearnerQuota;
  /** Time budgets per learner per lab per course (usage_limit): checked before every launch and resume. */
  readonly budgets: UsageLimits;
  /** How long a wake-up from shelved takes, per provider, for the learner's page. */
  readonly wakeEstimates: WakeEstimates;
  /** Status requests waiting for their stack to change (the lab page's long-poll): woken by the same notifications as the cache. */
  readonly statusWaits: StatusWaits;
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly deps: {
      db: Database;
      labs: LabCatalog;
      keys: Keys;
      clock: Clock;
      events: DomainEvents;
      deployment: string;
      /** Per-learner limits on stacks held and launches per minute (settings max_stacks_per_learner, launches_per_minute). */
      limits: LearnerLimits;
      /** Status requests that may wait for a change at once in this process (setting status_waiters). */
      statusWaiters?: number;
      /** Of those, how many one learner may hold at once (setting status_waits_per_learner); default: no limit of its own. */
      statusWaitsPerLearner?: number;
      /** Whether this deployment configures a provider of that name (a reset does not send a stack to one it does not). */
      configured?: (provider: string) => boolean;
      logger?: Logger;
    },
  ) {
    this.store = new StackStore(deps.db);
    this.statusWaits = new StatusWaits(deps.statusWaiters ?? STATUS_WAITERS, deps.statusWaitsPerLearner);
    this.quota = new LearnerQuota(deps.limits, deps.labs);
    this.budgets = new UsageLimits({ db: deps.db, labs: deps.labs });
    this.wakeEstimates = new WakeEstimates(this.store, () => deps.clock.now().getTime());
    this.activityLedger = new ActivityLedger({
      store: this.store,
      cache: this.readyCache,
      notReady: (id, at, actor) => this.keepaliveNotReady(id, at, actor),
      logger: deps.logger,
    });
    // Changes made here reach the cache at once; the notification (which covers every process) follows.
    deps.events.on('stack.transition', (e) => {
      this.readyCache.forget(e.stack.id);
      this.statusWaits.message(e.stack.id);
    });
  }

  /** Starts hearing of stack changes, which lets keepalives be answered from the cache. */
  async open(): Promise<void> {
    const cache = this.readyCache;
    const waits = this.statusWaits;
    const logger = this.deps.logger;
    let lost = false;
    // Said once per outage, not once per reconnect attempt.
    this.stopListening ??= await this.deps.db.listen(STACK_CHANGED_CHANNEL, {
      message: (id) => {
        cache.message(id);
        waits.message(id);
      },
      listening: () => {
        if (lost) logger?.info('stack change notifications are heard again; keepalives are answered from memory again');
        lost = false;
        cache.listening();
        waits.listening();
      },
      gap: (error) => {
        if (!lost) logger?.warn({ err: error }, 'stack change notifications lost; keepalives wait for the database until they are heard again');
        lost = true;
        cache.gap();
        waits.gap();
      },
    });
  }

  /** Writes the activity still pending and stops listening; call before closing the database. */
  async close(): Promise<void> {
    this.statusWaits.close();
    await this.activityLedger.close();
    await this.stopListening?.();
    this.stopListening = null;
    this.readyCache.gap();
  }

  private lab(id: string): Lab {
    const lab = this.deps.labs.get(id);
    if (!lab) throw new AppError('LAB_NOT_FOUND', `lab '${id}' is not loaded`);
    return lab;
  }

  async get(id: string): Promise<Stack> {
    const stack = await this.store.get(id);
    if (!stack) throw new AppError('STACK_NOT_FOUND', `stack '${id}'`);
    return stack;
  }

  list(filter: StackFilter): Promise<Stack[]> {
    return this.store.list(filter);
  }

  /** Why a failed stack failed, as a catalogue key and values (null when it is not failed, or failed before migration 017). */
  async failureReason(stack: Stack): Promise<Pick<StackEvent, 'reasonKey' | 'reasonValues'> | null> {
    return isIn(stack.state, FAILED_STATES) ? this.store.reasonInto(stack.id, stack.state) : null;
  }

  async events(id: string): Promise<StackEvent[]> {
    await this.get(id);
    return this.store.events(id);
  }

  /**
   * Records in the stack's history what course staff or an operator did to it that moved no state
   * (`what`: a history reason, e.g. history.tookOver; `actor`: `instructor:<id>`,
   * `operator:<name>`). STACK_NOT_FOUND when the stack is gone.
   */
  async recordStaffAction(id: string, what: HistoryReason, actor: string): Promise<StackEvent> {
    const event = await this.store.recordStaffAction({ id, what, actor, now: this.deps.clock.now() });
    if (!event) throw new AppError('STACK_NOT_FOUND', `stack '${id}'`);
    return event;
  }

  /** Moves a stack and tells listeners; null when it was no longer in `from`. */
  async move(id: string, from: readonly StackState[], to: StackState, why: HistoryReason, actor: string, changes?: StackChanges): Promise<Stack | null> {
    const legal = from.filter((state) => canTransition(state, to));
    if (legal.length === 0) return null;
    const moved = await this.store.transition({ id, from: legal, to, reason: why, actor, now: this.deps.clock.now(), changes });
    if (moved) this.deps.events.emit('stack.transition', { stack: moved, from: null, to, reason: reasonText(why) });
    return moved;
  }

  /**
   * Launch or come back: creates the learner's stack, resumes it if suspended, relaunches it if it was
   * deleted or failed, and otherwise returns it as it is (counting the visit as activity).
   * Coming back to a stack the learner has is never limited; a new environment (a new stack, a
   * relaunch) passes the learner's limits first (launchCounted).
   * Races with sweeps and other requests are settled by the compare-and-set; the loop re-reads and retries.
   */
  async launch(req: LaunchRequest): Promise<Stack> {
    const lab = this.lab(req.lab);
    // The budget and the learner's stack are read side by side: a come-back then waits for two round trips
    // in a row, not three. The stack read early is only a guess, as any read is: every move below is a
    // compare-and-set on the state read, and a lost race reads again.
    const [suspendBy, first] = await Promise.all([this.admitBudget(req), this.store.findByKey(req.learner, req.context, req.lab)]);
    for (let attempt = 0; attempt < RACE_RETRIES; attempt++) {
      const existing = attempt === 0 ? first : await this.store.findByKey(req.learner, req.context, req.lab);
      const next =
        existing && !RELAUNCHABLE.includes(existing.state) ? await this.comeBack(existing, req.actor, suspendBy) : await this.launchCounted(req, lab, existing, suspendBy);
      if (next) return next;
    }
    throw new AppError('INVALID_STATE', 'the stack kept changing state during launch; try again');
  }

  /**
   * A new stack, or a deleted or failed one launched again, within the learner's limits: the limits are
   * read and the launch written in one transaction under the learner's lock, so two launches at the
   * last place cannot both pass. Null when somebody else created or moved the stack first.
   */
  private async launchCounted(req: LaunchRequest, lab: Lab, existing: Stack | null, suspendBy: Date | null): Promise<Stack | null> {
    const now = this.deps.clock.now();
    const asRead = async (store: StackStore) => unchanged(existing, await store.findByKey(req.learner, req.context, req.lab));
    const launched = await this.counted({ learner: req.learner, now, takesSlot: !existing || !holdsLearnerSlot(existing) }, asRead, async (store) => {
      if (existing) {
        return store.transition({
          id: existing.id,
          from: [existing.state],
          to: 'LAUNCH_PENDING',
          reason: reason('history.relaunchRequested'),
          actor: req.actor,
          now,
          changes: { ...freshLaunch(lab, now, await freshName(store, this.deps.deployment, existing)), suspend_by: suspendBy },
        });
      }
      const pooled = await this.claimFromPool(store, lab, req, now, suspendBy);
      if (pooled) return pooled;
      const id = newStackId();
      const { stack, created } = await store.insertOrGet(
        {
          id,
          learner: req.learner,
          context: req.context,
          lab: req.lab,
          run: req.run ?? req.context,
          providerStackName: stackNameFor(this.deps.deployment, id, 1),
          suspendTimeout: lab.timeouts.suspend,
          deleteAge: lab.timeouts.deleteAge,
          launchTimeout: lab.timeouts.launch,
          now,
        },
        req.actor,
      );
      if (!created) return null;
      return suspendBy ? ((await store.update(stack.id, ['LAUNCH_PENDING'], { suspend_by: suspendBy }, now)) ?? stack) : stack;
    });
    // Tells the worker to claim now rather than at its next idle poll (up to a second later).
    if (launched) this.deps.events.emit('stack.transition', { stack: launched, from: null, to: launched.state, reason: launchReason(existing, launched) });
    return launched;
  }

  /**
   * A first launch takes a stack from the lab's warm pool when it has one ready (docs/pools.md), on the
   * launch's transaction under the learner's lock: the learner has no stack for the lab (checked under
   * that lock), so the claimed stack keeps (learner, context, lab) unique. Labs without a pool setting
   * never ask: their launch is exactly what it was.
   */
  private claimFromPool(store: StackStore, lab: Lab, req: LaunchRequest, now: Date, suspendBy: Date | null): Promise<Stack | null> {
    if (!lab.pool) return Promise.resolve(null);
    const run = req.run ?? req.context;
    return store.pool().claim({
      lab: lab.id,
      poolRun: poolKeyFor(lab, run).run,
      templateHash: templateHash(lab),
      learner: req.learner,
      context: req.context,
      run,
      suspendBy,
      actor: req.actor,
      now,
    });
  }

  /**
   * Runs `write` (a launch or a reset, on the transaction's store) if the learner's limits admit one
   * more, and records it as a launch when it wrote a stack. Throws the limit's error otherwise.
   * Null, with nothing counted, when the stack is no longer as the caller read it (`asRead`, checked
   * under the lock): another request of the learner launched or reset it meanwhile, so the caller's
   * next look finds a stack to come back to rather than a launch to make.
   */
  private async counted(
    launch: { learner: string; now: Date; takesSlot: boolean },
    asRead: (store: StackStore) => Promise<boolean>,
    write: (store: StackStore) => Promise<Stack | null>,
  ): Promise<Stack | null> {
    return this.deps.db.transaction(async (tx) => {
      const usage = new LearnerUsage(tx);
      const store = this.store.withTransaction(tx);
      await usage.lock(launch.learner);
      if (!(await asRead(store))) return null;
      await this.quota.admit(usage, launch);
      const stack = await write(store);
      if (stack) await usage.recordLaunch(launch.learner, stack.id, launch.now, this.quota.windowStart(launch.now));
      return stack;
    });
  }

  /** The learner is back at a stack that has an environment (or is getting one): resume it or count the visit. */
  private async comeBack(stack: Stack, actor: string, suspendBy: Date | null): Promise<Stack | null> {
    const now = this.deps.clock.now();
    switch (stack.state) {
      case 'SUSPENDED':
      case 'SUSPEND_FAILED':
      case 'RESUME_FAILED':
        return this.move(stack.id, [stack.state], 'RESUME_PENDING', reason('history.learnerCameBack'), actor, {
          error: null,
          error_code: null,
          attempts: 0,
          last_activity_at: now,
          suspend_by: suspendBy,
        });
      case 'SUSPEND_PENDING':
        return this.move(stack.id, ['SUSPEND_PENDING'], 'READY', reason('history.cameBackBeforeSuspend'), actor, { ...this.activity(stack, now), suspend_by: suspendBy });
      // The shelved tier wakes by unshelving (which also resumes a stack whose shelve had not started or failed half-way).
      case 'SHELVE_PENDING':
      case 'SHELVED':
      case 'SHELVE_FAILED':
      case 'UNSHELVE_FAILED':
        return this.move(stack.id, [stack.state], 'UNSHELVE_PENDING', reason('history.learnerCameBack'), actor, {
          error: null,
          error_code: null,
          attempts: 0,
          last_activity_at: now,
          suspend_by: suspendBy,
        });
      default:
        return (await this.store.update(stack.id, [stack.state], { last_activity_at: now, suspend_by: suspendBy }, now)) ?? null;
    }
  }

  private activity(stack: Stack, now: Date): StackChanges {
    return {
      last_activity_at: now,
      suspend_at: addSeconds(now, this.timeoutOf(stack)),
      delete_by: addSeconds(now, this.deleteAgeOf(stack)),
    };
  }

  private timeoutOf(stack: Stack): number {
    return this.deps.labs.get(stack.lab)?.timeouts.suspend ?? 120;
  }

  private deleteAgeOf(stack: Stack): number {
    return this.deps.labs.get(stack.lab)?.timeouts.deleteAge ?? 14 * 24 * 3600;
  }

  /**
   * The learner is still there: pushes the idle suspend and the reaper's deadline back. A keepalive that
   * arrives while a suspend is pending but not started cancels it.
   */
  async keepalive(id: string, actor: string): Promise<Stack> {
    const now = this.deps.clock.now();
    return (await this.activityLedger.touch(id, now, actor)) ?? this.keepaliveNotReady(id, now, actor);
  }

  /** The keepalive of a stack that is not READY (or was not when its activity was written). */
  private async keepaliveNotReady(id: string, now: Date, actor: string): Promise<Stack> {
    const stack = await this.get(id);
    if (stack.state === 'SUSPEND_PENDING') {
      const moved = await this.move(id, ['SUSPEND_PENDING'], 'READY', reason('history.keepaliveBeforeSuspend'), actor, this.activity(stack, now));
      if (moved) return moved;
    }
    const changes = stack.state === 'READY' ? this.activity(stack, now) : { last_activity_at: now };
    return (await this.store.update(id, [stack.state], changes, now)) ?? this.get(id);
  }

  /**
   * A lab page went away (its departure beacon): the stack suspends once `graceSeconds` have passed unless
   * activity follows (domain/policy.ts isDeparted). Nothing else changes, so a page reloaded or a second
   * page still open (their keepalives) cancels it by being there. Null when the stack is gone.
   */
  async depart(id: string, graceSeconds: number): Promise<Stack | null> {
    if (graceSeconds <= 0) return null;
    const now = this.deps.clock.now();
    // One statement in any state but DELETED: it changes no state, so it needs no read of the state first.
    return this.store.update(id, LIVE_STATES, { departed_at: now, departure_suspend_at: addSeconds(now, graceSeconds) }, now);
  }

  async requestSuspend(id: string, actor: string): Promise<Stack> {
    return this.request(id, ['READY', 'SUSPEND_FAILED'], 'SUSPEND_PENDING', reason('history.suspendRequested'), actor, { attempts: 0 });
  }

  async requestResume(id: string, actor: string): Promise<Stack> {
    const stack = await this.get(id);
    if (stack.state === 'READY' || stack.state === 'RESUME_PENDING' || stack.state === 'RESUMING') return stack;
    if (stack.state === 'UNSHELVE_PENDING' || stack.state === 'UNSHELVING') return stack;
    const suspendBy = await this.admitBudget(stack, stack.id);
    if (isIn(stack.state, ['SHELVE_PENDING', 'SHELVED', 'SHELVE_FAILED', 'UNSHELVE_FAILED'])) {
      return this.request(id, [stack.state], 'UNSHELVE_PENDING', reason('history.unshelveRequested'), actor, {
        error: null,
        attempts: 0,
        last_activity_at: this.deps.clock.now(),
        suspend_by: suspendBy,
      });
    }
    return this.request(id, ['SUSPENDED', 'SUSPEND_FAILED', 'RESUME_FAILED'], 'RESUME_PENDING', reason('history.resumeRequested'), actor, {
      error: null,
      attempts: 0,
      last_activity_at: this.deps.clock.now(),
      suspend_by: suspendBy,
    });
  }

  /**
   * The learner's time budget before a launch or a resume (services/usage-limits.ts): a used-up `block`
   * budget refuses it with USAGE_LIMIT_REACHED, and suspends the stack if it still runs. Otherwise the
   * answer is the stack's new `suspend_by`: when the budget runs out if it runs from now (null: no
   * `block` budget), which the suspender honours.
   */
  private async admitBudget(key: { learner: string; context: string; lab: string }, stackId?: string): Promise<Date | null> {
    const now = this.deps.clock.now();
    const status = await this.budgets.status(key, now, stackId);
    if (blocksRunning(status)) {
      await this.suspendForBudget(key, status);
      throw this.budgets.refusal(key, status);
    }
    return budgetDeadline(status, now);
  }

  private async suspendForBudget(key: { learner: string; context: string; lab: string }, status: BudgetStatus): Promise<void> {
    const stack = await this.store.findByKey(key.learner, key.context, key.lab);
    if (stack?.state !== 'READY') return;
    const why = reason('history.usageLimitReached', { used: Math.round(status.usedSeconds), budgetSeconds: status.budgetSeconds });
    await this.move(stack.id, ['READY'], 'SUSPEND_PENDING', why, 'usage-limit', { attempts: 0 });
  }

  /**
   * After a budget changed (an extension, a course's new limit): a running stack's `suspend_by` moves to
   * the new end of its budget, or is cleared when no `block` budget holds any more. A stack that is not
   * running gets its deadline at its next resume.
   */
  async applyBudget(key: { learner: string; context: string; lab: string }): Promise<Stack | null> {
    const stack = await this.store.findByKey(key.learner, key.context, key.lab);
    if (!stack || stack.state !== 'READY') return stack;
    const now = this.deps.clock.now();
    const status = await this.budgets.status(key, now, stack.id);
    if (blocksRunning(status)) {
      await this.suspendForBudget(key, status);
      return this.store.get(stack.id);
    }
    return (await this.store.update(stack.id, ['READY'], { suspend_by: budgetDeadline(status, now) }, now)) ?? this.store.get(stack.id);
  }

  async requestDelete(id: string, actor: string): Promise<Stack> {
    const moved = await this.move(id, DELETABLE, 'DELETE_PENDING', reason('history.deleteRequested'), actor, { attempts: 0, relaunch: false });
    if (moved) return moved;
    const stack = await this.get(id);
    if (stack.state === 'DELETED' || stack.state === 'DELETE_PENDING' || stack.state === 'DELETING') return stack;
    throw new AppError('INVALID_STATE', `stack is ${stack.state}; cannot go to DELETE_PENDING`);
  }

  /**
   * Reset = delete + launch, asked for with a typed confirmation so nobody loses work by a stray click.
   * A reset is a launch for the learner's limits: it counts towards launches per minute, and one that
   * brings back a stack that no longer counted (deleted, or being deleted for good) needs a free place.
   * Asking again while the reset is under way is not counted.
   */
  async reset(id: string, confirm: unknown, actor: string): Promise<Stack> {
    if (confirm !== RESET_CONFIRMATION) throw new AppError('CONFIRMATION_REQUIRED');
    for (let attempt = 0; attempt < RACE_RETRIES; attempt++) {
      const stack = await this.get(id);
      if (stack.state === 'DELETED') return this.launch({ learner: stack.learner, context: stack.context, lab: stack.lab, run: stack.run, actor });
      const deleting = stack.state === 'DELETE_PENDING' || stack.state === 'DELETING';
      if (deleting && stack.relaunch) return stack;
      if (!deleting && !DELETABLE.includes(stack.state)) throw new AppError('INVALID_STATE', `stack is ${stack.state}; cannot go to DELETE_PENDING`);
      const now = this.deps.clock.now();
      const asRead = async (store: StackStore) => unchanged(stack, await store.get(id));
      const avoid = this.avoidOnReset(stack);
      let pooled: { stack: Stack; old: Stack } | null = null;
      const reset = await this.counted({ learner: stack.learner, now, takesSlot: !holdsLearnerSlot(stack) }, asRead, async (store) => {
        if (deleting) return store.update(id, [stack.state], { relaunch: true, tried_providers: avoid }, now);
        pooled = await this.resetFromPool(store, stack, avoid, actor, now);
        if (pooled) return pooled.stack;
        return store.transition({ id, from: [stack.state], to: 'DELETE_PENDING', reason: resetReason(stack, avoid), actor, now, changes: { attempts: 0, relaunch: true, tried_providers: avoid } });
      });
      if (reset) {
        const took = pooled as { stack: Stack; old: Stack } | null;
        if (took) {
          this.deps.events.emit('stack.transition', { stack: took.stack, from: null, to: 'RESUME_PENDING', reason: reasonText(reason('history.resetFromPool')) });
          this.deps.events.emit('stack.transition', { stack: took.old, from: null, to: 'DELETE_PENDING', reason: reasonText(reason('history.poolTookResetOld')) });
        } else if (!deleting) this.deps.events.emit('stack.transition', { stack: reset, from: null, to: 'DELETE_PENDING', reason: 'reset requested' });
        return reset;
      }
    }
    throw new AppError('INVALID_STATE', 'the stack kept changing state during the reset; try again');
  }

  /**
   * A reset takes a ready stack from the lab's warm pool when there is one, as a first launch does
   * (docs/pools.md), on the reset's transaction under the learner's lock: the learner's stack keeps its
   * id and history and takes the pool stack's environment, and the old environment goes to DELETE_PENDING
   * on the pool stack's row (PoolStore.takeForReset). Only from a state no operation is running in and
   * that may go to RESUME_PENDING; a pool stack on a provider the reset moves away from is not taken; an
   * old environment on a provider this deployment no longer configures could not be deleted by a worker,
   * so that reset goes today's way, which names it for the operator. Null: today's reset.
   */
  private resetFromPool(store: StackStore, stack: Stack, avoid: string[], actor: string, now: Date): Promise<{ stack: Stack; old: Stack } | null> {
    const lab = this.deps.labs.get(stack.lab);
    if (!lab?.pool || !isIn(stack.state, RESETTABLE_FROM_POOL)) return Promise.resolve(null);
    if (stack.provider && stack.providerStackId && !(this.deps.configured?.(stack.provider) ?? true)) return Promise.resolve(null);
    return store.pool().takeForReset({
      id: stack.id,
      state: stack.state,
      lab: lab.id,
      poolRun: poolKeyFor(lab, stack.run).run,
      templateHash: templateHash(lab),
      avoid,
      deleteBy: addSeconds(now, lab.timeouts.deleteAge),
      suspendTimeout: lab.timeouts.suspend,
      deleteAge: lab.timeouts.deleteAge,
      launchTimeout: lab.timeouts.launch,
      actor,
      now,
    });
  }

  /**
   * The provider a reset's fresh launch must not go to: the one that had no room to wake the stack or
   * is gone from the configuration, when the lab has another to go to (else it is tried again).
   */
  private avoidOnReset(stack: Stack): string[] {
    if (!stack.provider || (stack.errorCode !== 'PROVIDER_FULL' && stack.errorCode !== 'PROVIDER_GONE')) return [];
    const others = this.deps.labs.get(stack.lab)?.providers.some((p) => p.name !== stack.provider && p.capacity !== 0 && (this.deps.configured?.(p.name) ?? true));
    return others ? [stack.provider] : [];
  }

  /**
   * Moves the stack to `to` from any of `from`, in one statement: the move is a compare-and-set on the
   * state, so a read before it would decide nothing and only add a round trip to the learner's wait. The
   * stack is read only when it did not move, to tell "already there" (idempotent) from a refusal.
   */
  private async request(id: string, from: StackState[], to: StackState, why: HistoryReason, actor: string, changes: StackChanges): Promise<Stack> {
    const moved = await this.move(id, from, to, why, actor, changes);
    if (moved) return moved;
    const now = await this.get(id);
    if (now.state === to) return now;
    throw new AppError('INVALID_STATE', `stack is ${now.state}; cannot go to ${to}`);
  }

  /** Decrypted key and password, for the gateway and the checks only: never send them to a browser. */
  async secrets(id: string): Promise<StackSecrets> {
    const sealed = await this.store.getSealedSecrets(id);
    return sealed ? (JSON.parse(this.deps.keys.decrypt(sealed)) as StackSecrets) : {};
  }

  /** Polls until the stack reaches one of `states` (or a failed state, which throws). */
  async waitForState(id: string, states: StackState[], timeoutMs: number, pollMs = 250): Promise<Stack> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stack = await this.get(id);
      if (states.includes(stack.state)) return stack;
      if (stack.state.endsWith('_FAILED')) throw new AppError('INVALID_STATE', `stack ${id} is ${stack.state}: ${stack.error ?? ''}`);
      if (Date.now() > deadline) throw new AppError('UNAVAILABLE', `stack ${id} is still ${stack.state} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** Whether a stack read again is the one read before, as far as launching goes: the same row, state and reset flag. */
function unchanged(before: Stack | null, now: Stack | null): boolean {
  if (!before || !now) return before === now;
  return before.id === now.id && before.state === now.state && before.relaunch === now.relaunch;
}

function launchReason(existing: Stack | null, launched: Stack): string {
  if (existing) return 'relaunch requested';
  return launched.claimedAt ? 'claimed from the warm pool' : 'launch requested';
}

/** The history's words for a reset, naming the provider it moves away from. */
function resetReason(stack: Stack, avoid: string[]): HistoryReason {
  return avoid.length ? reason('history.resetAway', { providers: avoid.join("', '"), code: String(stack.errorCode) }) : reason('history.resetRequested');
}

/**
 * `stacklab-<deployment>-<id>-<n>`: a new provider stack name per launch, so a relaunch never adopts a
 * dying stack. A row named before deployments existed gets this deployment's name at its next launch.
 */
export function nextGeneration(deployment: string, stack: Pick<Stack, 'id' | 'providerStackName'>): string {
  const match = /-(\d+)$/.exec(stack.providerStackName);
  const n = match ? Number(match[1]) + 1 : 1;
  return stackNameFor(deployment, stack.id, n);
}

/**
 * The provider stack name of a stack's next launch. A stack that took a pool stack's environment in a
 * reset holds that pool stack's name, whose generation says nothing of its own: its next generation
 * comes after every name of its own still held by a row (the row that deleted its old environment
 * holds the last one), so it never meets a stack of its own that is still being deleted.
 */
export async function freshName(store: StackStore, deployment: string, stack: Pick<Stack, 'id' | 'providerStackName'>): Promise<string> {
  const own = stackNameFor(deployment, stack.id, 0).slice(0, -1);
  if (stack.providerStackName.startsWith(own)) return nextGeneration(deployment, stack);
  const held = /-(\d+)$/.exec(stack.providerStackName);
  const last = Math.max(held ? Number(held[1]) : 0, await store.pool().lastGeneration(own));
  return stackNameFor(deployment, stack.id, last + 1);
}
