/**
 * The periodic sweeps, on an injected `now`; each returns what it did. They only request work
 * (`*_PENDING`) or record failures; workers do the provider calls. When a stack is idle, dormant or
 * abandoned is domain/policy.ts `nextAction`'s to say, and only its: the store hands the suspender and the
 * reaper candidates (an index-only prefilter, a superset of the rule), the sweep judges them with
 * `nextAction`, and the store moves exactly the chosen ones in one compare-and-set statement that records
 * their events. The retries and the watchdog are one set-based store statement each.
 */
import type { Logger } from 'pino';
import type { ProviderRegistry } from '../providers/provider-registry.ts';
import type { StackStore, SweepCandidate } from '../db/stack-store.ts';
import { nextAction, type Decision } from '../domain/policy.ts';
import type { Stack } from '../domain/stack.ts';
import { reason, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import type { InProgressState } from '../domain/states.ts';
import { STACK_NAME_PREFIX, type Provider, type ProviderStackSummary } from '../providers/provider.ts';
import { isLegacyStackName, isOwnStackName } from '../providers/stack-names.ts';

export interface SweepStats {
  sweep: string;
  acted: number;
  errors: string[];
  ms: number;
}

export interface SweepSettings {
  batch: number;
  deleteAttempts: number;
  suspendAttempts: number;
  /** Seconds to wait before retrying a failed suspend or delete, times the attempts so far. */
  retryBackoff: number;
}

async function timed(sweep: string, fn: () => Promise<{ acted: number; errors?: string[] }>): Promise<SweepStats> {
  const started = performance.now();
  const { acted, errors = [] } = await fn();
  return { sweep, acted, errors, ms: performance.now() - started };
}

/** The suspender's event reasons: a stack past its suspend_by (the end of a usage budget, services/usage-limits.ts) says so in its history. */
const IDLE_REASON = reason('history.idle');
const BUDGET_REASON = reason('history.budgetDeadline');
const DORMANT_REASON = reason('history.dormant');

/**
 * Splits a sweep's candidates by domain/policy.ts `nextAction`, the one definition of when a stack is
 * idle, dormant or abandoned: those it names for `decision` move; the others keep their state, and, unless
 * another tier's sweep will take them (`leave`), their passed review time moves to their real deadline so
 * they stop coming back every sweep.
 */
function judge(candidates: readonly SweepCandidate[], now: Date, decision: Decision, leave: readonly Decision[] = []): { chosen: SweepCandidate[]; inUse: SweepCandidate[] } {
  const chosen: SweepCandidate[] = [];
  const inUse: SweepCandidate[] = [];
  for (const c of candidates) {
    const action = nextAction(c.stack, now);
    if (action === decision) chosen.push(c);
    else if (!leave.includes(action)) inUse.push(c);
  }
  return { chosen, inUse };
}

/**
 * The tiers of dormancy before deletion (domain/dormancy.ts): idle READY stacks (domain/policy.ts isIdle)
 * -> SUSPEND_PENDING, and suspended stacks unused for their shelve_after (isDormant) -> SHELVE_PENDING;
 * failed suspends and shelves retried. A stack `nextAction` says to delete is left to the reaper.
 */
export function suspender(store: StackStore, now: Date, s: SweepSettings): Promise<SweepStats> {
  return timed('suspender', async () => {
    const actor = 'suspender';
    // The four parts touch disjoint rows (READY, SUSPENDED, SUSPEND_FAILED, SHELVE_FAILED stacks), so they
    // run side by side: a sweep then waits for its longest part (three round trips), not for the sum of
    // all of them (up to eight), which is most of its time on a loaded machine.
    const idleTier = async () => {
      const idle = judge(await store.suspendCandidates(now, s.batch), now, 'suspend', ['delete']);
      const suspended = await store.requestSuspend(
        idle.chosen.map((c) => ({ ...c, reason: c.stack.suspendBy !== null && c.stack.suspendBy <= now ? BUDGET_REASON : IDLE_REASON })),
        { now, actor },
      );
      await store.reviewSuspendAt(
        idle.inUse.map(({ stack, version }) => ({
          id: stack.id,
          version,
          review: stack.suspendAt,
          // Activity since the departure cancels it for good (isDeparted); cleared, it stops being a candidate.
          clearDeparture: stack.departureSuspendAt !== null && stack.departureSuspendAt <= now,
        })),
      );
      return suspended;
    };
    const dormantTier = async () => {
      const dormant = judge(await store.shelveCandidates(now, s.batch), now, 'shelve', ['delete']);
      const shelved = await store.requestShelve(dormant.chosen.map((c) => ({ ...c, reason: DORMANT_REASON })), { now, actor });
      await store.reviewShelveAt(dormant.inUse.map(({ stack, version }) => ({ id: stack.id, version, review: stack.shelveAt })));
      return shelved;
    };
    const retry = (failed: 'SUSPEND_FAILED' | 'SHELVE_FAILED', why: HistoryReason) =>
      store.retryFailed(failed, { now, limit: s.batch, maxAttempts: s.suspendAttempts, backoffSeconds: s.retryBackoff, reason: why, actor });
    const moved = await Promise.all([idleTier(), dormantTier(), retry('SUSPEND_FAILED', reason('history.retrySuspend')), retry('SHELVE_FAILED', reason('history.retryShelve'))]);
    return { acted: moved.reduce((sum, stacks) => sum + stacks.length, 0) };
  });
}

/** Stacks unused past their delete age (domain/policy.ts isAbandoned) -> DELETE_PENDING; failed deletes retried up to delete_attempts. */
export function reaper(store: StackStore, now: Date, s: SweepSettings): Promise<SweepStats> {
  return timed('reaper', async () => {
    // Abandoned stacks are never DELETE_FAILED (ABANDONABLE_STATES), so the two parts run side by side, as the suspender's do.
    const abandonedTier = async () => {
      const abandoned = judge(await store.deleteCandidates(now, s.batch), now, 'delete');
      const deleted = await store.requestDelete(abandoned.chosen.map((c) => ({ ...c, reason: reason('history.abandoned') })), { now, actor: 'reaper' });
      await store.reviewDeleteBy(abandoned.inUse.map(({ stack, version }) => ({ id: stack.id, version, review: stack.deleteBy })));
      return deleted;
    };
    const [deleted, retried] = await Promise.all([
      abandonedTier(),
      store.retryFailed('DELETE_FAILED', {
        now,
        limit: s.batch,
        maxAttempts: s.deleteAttempts,
        backoffSeconds: s.retryBackoff,
        reason: reason('history.retryDelete'),
        actor: 'reaper',
      }),
    ]);
    return { acted: deleted.length + retried.length };
  });
}

/**
 * In-progress operations past their deadline -> the operation's failed state, with a message that says
 * so. `onTimedOut` hears each one (the runtime turns them into transition events, so the operation
 * metrics count timeouts like any other failure).
 */
export function watchdog(store: StackStore, now: Date, s: SweepSettings, onTimedOut?: (stack: Stack, from: InProgressState) => void): Promise<SweepStats> {
  return timed('watchdog', async () => {
    let acted = 0;
    const messages = [
      ['CREATING', 'The launch did not finish in time; try again, and tell the course team if it keeps happening.'],
      ['SUSPENDING', 'Suspending did not finish in time; it will be retried.'],
      ['RESUMING', 'Resuming did not finish in time; open the lab again to retry.'],
      ['DELETING', 'Deleting did not finish in time; it will be retried.'],
      ['SHELVING', 'Shelving did not finish in time; it will be retried.'],
      ['UNSHELVING', 'Waking your lab from its deep sleep did not finish in time; open the lab again to retry.'],
    ] as const;
    for (const [inProgress, message] of messages) {
      const moved = await store.timeOut(inProgress, message, { now, limit: s.batch, reason: reason('history.watchdog'), actor: 'watchdog' });
      acted += moved.length;
      for (const stack of moved) onTimedOut?.(stack, inProgress);
    }
    return { acted };
  });
}

/**
 * Compares each provider's stacks with the store, the way hastexo's reaper hunted zombies, but only
 * ever this deployment's (the contract in providers/provider.ts, point 6):
 * - a stack whose name is in the store is the store's: if its row is deleted (or moved to another
 *   provider) the stack is a zombie and is deleted, otherwise drift is corrected; the stack a row holds
 *   on another provider entry of the same cloud project (same id) is that entry's, and left alone; one
 *   with a row's name and provider but not its id is a twin of two overlapping creates, and deleted
 *   (at once once the row is past its launch; while it launches, only past the grace);
 * - a stack the store does not know is deleted only when its name and its recorded deployment are
 *   both this deployment's and it is older than `graceSeconds` (a create may still be saving its id);
 *   anything else is another deployment's or from before deployments existed, and is left alone;
 * - a READY/SUSPENDED/SHELVED row whose stack the provider no longer has (asked again by name) is DELETED.
 *   A shelved stack is invisible to Heat (its stack stays SUSPEND_COMPLETE while Nova shelves its
 *   servers), so a SHELVED row meets no drift to correct: only its disappearance.
 */
export function reconciler(
  deps: { store: StackStore; providers: ProviderRegistry; logger: Logger; deployment: string },
  now: Date,
  graceSeconds: number,
): Promise<SweepStats> {
  return timed('reconciler', async () => {
    let acted = 0;
    const errors: string[] = [];
    for (const provider of deps.providers.list()) {
      let remote;
      try {
        remote = (await provider.list()).filter((s) => s.name.startsWith(STACK_NAME_PREFIX));
      } catch (error) {
        errors.push(`${provider.name}: list failed: ${(error as Error).message}`);
        continue;
      }
      const rows = await deps.store.byProviderStackNames(remote.map((r) => r.name));
      const byName = new Map(rows.map((row) => [row.providerStackName, row]));
      for (const r of remote) {
        const row = byName.get(r.name);
        if (!row && !ownedBy(r, deps.deployment)) {
          noteStranger(deps.logger, provider.name, r);
          continue;
        }
        const young = r.createdAt && now.getTime() - r.createdAt.getTime() < graceSeconds * 1000;
        // Two provider entries may name one cloud project (a failover entry, another capacity pool): each
        // then lists the other's stacks. The very stack a row holds on another entry is not a zombie.
        const heldElsewhere = row !== undefined && row.provider !== provider.name && row.providerStackId === r.id;
        // Heat does not keep names unique when two creates of one name overlap: a stack with the row's
        // name but not its id is a twin nobody holds. While the row's own create may still be saving its
        // id (launching), a young one is given the grace; once the row is past its launch it holds its
        // stack, so a twin goes at once instead of leaving the learner's lab on two stacks until then.
        const launching = row !== undefined && (row.state === 'LAUNCH_PENDING' || row.state === 'CREATING');
        const twin = row !== undefined && row.provider === provider.name && row.providerStackId !== null && row.providerStackId !== r.id && (!young || !launching);
        const isZombie = (!row && !young) || twin || (row && (row.state === 'DELETED' || (row.provider !== provider.name && row.state !== 'CREATING' && !heldElsewhere)));
        if (isZombie && !(r.action === 'DELETE' && r.status === 'COMPLETE')) {
          if (r.action === 'DELETE' && r.status === 'IN_PROGRESS') continue;
          try {
            await provider.delete(r);
            acted++;
            deps.logger.warn({ provider: provider.name, name: r.name }, 'deleted a zombie stack of this deployment that the store no longer holds');
          } catch (error) {
            errors.push(`${provider.name}/${r.name}: zombie delete failed: ${(error as Error).message}`);
          }
          continue;
        }
        // Drift is read from the row's own stack only, never from a young twin of it.
        if (row && row.provider === provider.name && (row.providerStackId === null || row.providerStackId === r.id)) acted += await correctDrift(deps.store, row, r.action, r.status, now);
      }
      // Rows that claim to live on this provider but whose stack is gone.
      const live = new Set(remote.filter((r) => !(r.action === 'DELETE' && r.status === 'COMPLETE')).map((r) => r.name));
      const claimed = await deps.store.list({ provider: provider.name, state: ['READY', 'SUSPENDED', 'SHELVED'], limit: 100000 });
      for (const row of claimed) {
        if (live.has(row.providerStackName) || now.getTime() - row.stateChangedAt.getTime() < graceSeconds * 1000) continue;
        // Asked by name before it is written off: a list that missed it (paging, a folder it does not scan) must not lose a learner's stack.
        const gone = await provider.get({ id: row.providerStackId ?? '', name: row.providerStackName }).then(
          (s) => !s || (s.action === 'DELETE' && s.status === 'COMPLETE'),
          (error: unknown) => {
            errors.push(`${provider.name}/${row.providerStackName}: get failed: ${(error as Error).message}`);
            return false;
          },
        );
        if (!gone) continue;
        const moved = await deps.store.transition({
          id: row.id,
          from: [row.state],
          to: 'DELETED',
          reason: reason('history.reconcilerGone'),
          actor: 'reconciler',
          now,
          changes: { public_ip: null, secrets: null, outputs: {}, provider_stack_id: null, suspend_at: null, delete_by: null, shelve_at: null },
        });
        if (moved) acted++;
      }
      acted += await reclaimLeftovers(deps.logger, provider, errors);
    }
    return { acted, errors };
  });
}

/** What crashed actions left on the provider's host outside any stack (Provider.reclaimLeftovers). */
async function reclaimLeftovers(logger: Logger, provider: Provider, errors: string[]): Promise<number> {
  if (!provider.reclaimLeftovers) return 0;
  try {
    const removed = await provider.reclaimLeftovers();
    if (removed.length) logger.warn({ provider: provider.name, removed }, 'removed what a crashed action of this deployment left on the host outside any stack');
    return removed.length;
  } catch (error) {
    errors.push(`${provider.name}: reclaiming leftovers failed: ${(error as Error).message}`);
    return 0;
  }
}

/** Both marks of ownership: the name this deployment gives, and the deployment the provider recorded with the stack. */
function ownedBy(stack: ProviderStackSummary, deployment: string): boolean {
  return isOwnStackName(stack.name, deployment) && stack.deployment === deployment;
}

/** Stacks that are not ours are left alone; the ones that may be a predecessor's are worth one line in the log. */
const strangersNoted = new Set<string>();
function noteStranger(logger: Logger, provider: string, stack: ProviderStackSummary): void {
  if (!isLegacyStackName(stack.name)) return;
  const key = `${provider}/${stack.name}`;
  if (strangersNoted.has(key)) return;
  if (strangersNoted.size >= 10_000) strangersNoted.clear();
  strangersNoted.add(key);
  logger.info(
    { provider, name: stack.name },
    'a stack named before deployments existed is not in this store: left alone, since it may belong to another deployment; delete it by hand if it is nobody\'s',
  );
}

async function correctDrift(store: StackStore, row: Stack, action: string, status: string, now: Date): Promise<number> {
  const suspended = action === 'SUSPEND' && status === 'COMPLETE';
  const running = (action === 'RESUME' || action === 'CREATE') && status === 'COMPLETE';
  if (row.state === 'READY' && suspended) {
    const moved = await store.transition({ id: row.id, from: ['READY'], to: 'SUSPENDED', reason: reason('history.reconcilerSuspended'), actor: 'reconciler', now, changes: { suspend_at: null } });
    return moved ? 1 : 0;
  }
  if (row.state === 'SUSPENDED' && running) {
    const moved = await store.transition({ id: row.id, from: ['SUSPENDED'], to: 'READY', reason: reason('history.reconcilerRunning'), actor: 'reconciler', now, changes: { suspend_at: now } });
    return moved ? 1 : 0;
  }
  return 0;
}
