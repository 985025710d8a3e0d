/**
 * Carries out claimed work: create (with capacity and failover across the lab's providers), suspend,
 * resume and delete, polling the provider to completion. Every write is guarded by this worker's lease,
 * so a worker that lost its lease (it stalled, another took over) stops without touching the stack.
 *
 * A run takes an AbortSignal (the worker's, fired when it stops). Aborting cuts only the waits: the
 * sleep between polls and a status read in flight. A call that changes the provider (create, suspend,
 * resume, delete) is let finish, since nobody could tell whether it took effect; then the run stops at
 * its next wait, hands the stack back (lease released, state still in progress) and returns, and the
 * next worker to claim takes it over where it stood, as after a crash but without waiting for the lease.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { splitOutputs } from '../domain/secret-outputs.ts';
import type { Logger } from 'pino';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { ProviderRegistry } from '../providers/provider-registry.ts';
import type { LifecycleHooks } from './lifecycle-hooks.ts';
import type { Database } from '../db/database.ts';
import { StackStore, type ClaimedStack, type StackChanges } from '../db/stack-store.ts';
import type { Lab, LabProvider } from '../domain/lab.ts';
import { addSeconds } from '../domain/policy.ts';
import { effectiveShelveAfter } from '../domain/dormancy.ts';
import type { Stack, StackSecrets } from '../domain/stack.ts';
import { actionFailed, reason, reasonText, reportedOr, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import { CLAIM_TARGET, OCCUPYING_STATES, OUTCOME, type InProgressState, type PendingState, type StackState } from '../domain/states.ts';
import { parseTemplate } from '../templates/parse.ts';
import { ProviderError, type ParameterValue, type Provider, type ProviderAction, type ProviderStack, type StackRef } from '../providers/provider.ts';
import type { Clock } from '../infra/clock.ts';
import type { DomainEvents } from '../infra/events.ts';
import type { Keys } from '../infra/keys.ts';
import { PRIVATE_KEY_PARAMETER, PUBLIC_KEY_PARAMETER, takePlatformKeyPair, wantsPlatformKeyPair, type PlatformKeyPair } from './platform-key-pair.ts';
import { freshLaunch, freshName, nextGeneration } from './stack-service.ts';

export interface OperationSettings {
  worker: string;
  leaseSeconds: number;
  pollSeconds: number;
  suspendAttempts: number;
}

/** How many times a create interrupted by a stopped stacklab process is built again before the launch fails. */
const REBUILDS_AFTER_INTERRUPTION = 2;

class LeaseLost extends Error {}

/** The worker is stopping: the run hands its stack back instead of carrying on. */
class OperationAborted extends Error {}

export class Operations {
  private readonly store: StackStore;

  constructor(
    private readonly deps: {
      db: Database;
      labs: LabCatalog;
      providers: ProviderRegistry;
      keys: Keys;
      clock: Clock;
      events: DomainEvents;
      /** This deployment's id, recorded with every stack it creates. */
      deployment: string;
      hooks: LifecycleHooks;
      logger: Logger;
      settings: OperationSettings;
      /** Waits between polls; tests replace it to run fast. */
      sleep?: (ms: number) => Promise<void>;
    },
  ) {
    this.store = new StackStore(deps.db);
  }

  private get now(): Date {
    return this.deps.clock.now();
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.deps.sleep) return abortable(this.deps.sleep(ms), signal);
    return delay(ms, undefined, { signal }).catch((error: unknown) => {
      stopIfAborted(signal);
      throw error;
    });
  }

  /**
   * Drives one claimed stack to the end of its operation. Never throws: failures become states. When
   * `signal` fires, the run returns soon with the stack handed back to the next claimant (see the header).
   */
  async run(stack: Stack, signal: AbortSignal = new AbortController().signal): Promise<void> {
    const log = this.deps.logger.child({ stack: stack.id, state: stack.state });
    try {
      return await this.runClaimed(stack, signal);
    } catch (error) {
      if (error instanceof LeaseLost) {
        log.info('lease lost; another worker or the watchdog has this stack now');
        return;
      }
      if (error instanceof OperationAborted) {
        await this.release(stack).catch((err) => log.warn({ err }, 'could not release the lease while stopping; it expires on its own'));
        log.info('worker stopping; the stack is handed back for the next worker to take over');
        return;
      }
      log.error({ err: error }, 'operation failed unexpectedly');
      await this.finish(stack, 'failed', reason('history.asReported', { detail: errorText(error) }), { error_code: 'INTERNAL' }).catch(() => undefined);
    }
  }

  private async runClaimed(stack: Stack, signal: AbortSignal): Promise<void> {
    switch (stack.state) {
      case 'CREATING':
        return this.create(stack, signal);
      case 'SUSPENDING':
        return this.simpleAction(stack, 'SUSPEND', signal);
      case 'RESUMING':
        return this.simpleAction(stack, 'RESUME', signal);
      case 'DELETING':
        return this.remove(stack, signal);
      case 'SHELVING':
        return this.dormancyStep(stack, 'shelve', signal);
      case 'UNSHELVING':
        return this.dormancyStep(stack, 'unshelve', signal);
      default:
        this.deps.logger.warn({ stack: stack.id, state: stack.state }, 'claimed a stack that is not in progress; leaving it');
    }
  }

  /**
   * Hands a stack back while its operation is still in progress: the state stays (CREATING, ...), the
   * lease goes, so the next claim takes it over at once. Guarded like every write, so a lease already
   * lost stays with its new holder.
   */
  private async release(stack: Stack): Promise<void> {
    await this.store.update(stack.id, [stack.state], { lease_owner: null, lease_until: null }, this.now, this.guard());
  }

  private guard() {
    return { leaseOwner: this.deps.settings.worker };
  }

  /**
   * Moves a claimed stack to its outcome with `why` in its history; a failure's English is also the stack's error.
   *
   * A suspend or resume that succeeded is recorded without waiting for PostgreSQL's WAL flush (a
   * millisecond or more of fsync, in the learner's wait for SUSPENDED or READY): the one thing that can
   * lose it is PostgreSQL itself crashing within the moment before the flush (the next durable commit of
   * any stack flushes it too). The stack is then still SUSPENDING or RESUMING under this worker's lease;
   * the lease expires, the next worker takes it over, asks again (the cloud leaves a suspended stack
   * suspended and a resumed one running: providers/provider.ts) and reads COMPLETE at its first poll.
   * Every other move, failures included, waits for the flush.
   */
  private async finish(stack: Stack, outcome: 'ok' | 'failed', why: HistoryReason, changes: StackChanges = {}, to?: StackState): Promise<Stack> {
    const text = reasonText(why);
    const from = stack.state as InProgressState;
    const target = to ?? OUTCOME[from][outcome];
    // Not a pool stack's personalization: its new secrets are in this move, and the servers have them already.
    const relaxed = outcome === 'ok' && target === OUTCOME[from].ok && (from === 'SUSPENDING' || from === 'RESUMING') && !stack.personalize;
    const moved = await this.store.transition({
      id: stack.id,
      from: [from],
      to: target,
      reason: why,
      actor: `worker:${this.deps.settings.worker}`,
      now: this.now,
      changes: { lease_owner: null, lease_until: null, op_deadline: null, ...(outcome === 'failed' ? { error: text } : {}), ...changes },
      guard: this.guard(),
      relaxed,
    });
    if (!moved) throw new LeaseLost();
    // The stack as claimed knows when its operation was requested (StackStore.claim), so the metrics need
    // not ask the store; only while it is still in the state it was claimed into (not a later step's).
    const claimed = stack as Partial<ClaimedStack>;
    const requestedAt = claimed.claimedFrom && CLAIM_TARGET[claimed.claimedFrom as PendingState] === from ? (claimed.requestedAt ?? null) : null;
    this.deps.events.emit('stack.transition', { stack: moved, from, to: target, reason: text, requestedAt });
    return moved;
  }

  private async renew(stack: Stack): Promise<void> {
    const ok = await this.store.renewLease(stack.id, this.deps.settings.worker, addSeconds(this.now, this.deps.settings.leaseSeconds), this.now);
    if (!ok) throw new LeaseLost();
  }

  /**
   * Runs a provider call that changes the stack while keeping the lease. Under a failing cloud such a
   * call (with its own retries and look-ups) can outlast the lease, and another claim would then run
   * the same operation beside this one: found by the provider-faults campaign, where a create taken
   * over that way made a second stack for one learner's lab. A lease lost all the same shows at the
   * next guarded write.
   */
  private async holdingLease<T>(stack: Stack, call: () => Promise<T>): Promise<T> {
    const everyMs = Math.max(250, (this.deps.settings.leaseSeconds * 1000) / 3);
    const timer = setInterval(() => void this.renew(stack).catch(() => undefined), everyMs);
    try {
      return await call();
    } finally {
      clearInterval(timer);
    }
  }

  /** Polls until the provider reports `action` finished; returns the final stack (null: gone). */
  private async poll(stack: Stack, provider: Provider, ref: StackRef, action: ProviderAction, signal: AbortSignal): Promise<ProviderStack | null> {
    // Renewed at the first pause, then once a third of the lease has passed: a renewal is a durable write
    // that announces a stack change to every listener, and at one per poll period a long action made
    // dozens of them (the heat-nova bench's ten-server suspend: one every 50 ms) for a lease that lasts a minute.
    let renewedAt = Number.NEGATIVE_INFINITY;
    const renewEveryMs = (this.deps.settings.leaseSeconds * 1000) / 3;
    for (;;) {
      stopIfAborted(signal);
      // A status read changes nothing, so a stopping worker need not wait for its answer (a cloud that
      // does not answer can hold it for minutes of retries).
      // Only a launch needs the outputs; the other reads are of the status alone, which a cloud answers
      // faster (Heat resolves outputs by asking Nova about every server).
      const current = await abortable(provider.get(ref, { outputs: action === 'CREATE' }), signal);
      if (!current) return null;
      if (current.action === action && current.status !== 'IN_PROGRESS') return current;
      // Heat may still show the previous action as COMPLETE right after the request: keep polling.
      // The lease is renewed during the pause, not before the next read: its database round trip would
      // otherwise lengthen every poll period, and with it how long after the cloud a learner sees the end
      // of an action. A lost lease still ends the operation here, and no renewal is in flight (holding
      // the row) while the status read waits on the cloud.
      const now = this.now.getTime();
      const renewal = now - renewedAt >= renewEveryMs ? this.renew(stack).then(() => void (renewedAt = now)) : undefined;
      await Promise.all([renewal, this.sleep(this.deps.settings.pollSeconds * 1000, signal)]);
    }
  }

  private labOf(stack: Stack): Lab | undefined {
    return this.deps.labs.get(stack.lab);
  }

  private providerOf(stack: Stack): { provider: Provider; ref: StackRef } | null {
    const provider = stack.provider ? this.deps.providers.get(stack.provider) : undefined;
    if (!provider || !stack.providerStackId) return null;
    return { provider, ref: { id: stack.providerStackId, name: stack.providerStackName } };
  }

  /**
   * A suspend, resume or wake-up of a stack that has no provider to act on: its provider was taken out
   * of the configuration (nothing will ever answer for it there: the learner is offered a fresh start
   * elsewhere), or it never got a provider stack at all.
   */
  private async withoutProvider(stack: Stack): Promise<void> {
    if (this.providerGone(stack)) {
      await this.finish(stack, 'failed', reason('history.providerGone', { provider: String(stack.provider) }), { error_code: 'PROVIDER_GONE' });
      return;
    }
    await this.finish(stack, 'failed', reason('history.noProviderStack'), { error_code: 'NO_PROVIDER_STACK' });
  }

  /** The stack has a provider stack on a provider this deployment no longer configures. */
  private providerGone(stack: Stack): boolean {
    return Boolean(stack.provider && stack.providerStackId && !this.deps.providers.get(stack.provider));
  }

  // ---- create, with capacity and failover -------------------------------------------------------

  private async create(claimed: Stack, signal: AbortSignal): Promise<void> {
    let stack = claimed;
    const lab = this.labOf(stack);
    if (!lab) {
      await this.finish(stack, 'failed', reason('history.labGone', { lab: stack.lab }), { error_code: 'LAB_NOT_FOUND' });
      return;
    }
    stopIfAborted(signal);
    if (!stack.provider) {
      const picked = await this.pickProvider(stack, lab);
      if (!picked) return;
      stack = picked;
    }
    const entry = lab.providers.find((p) => p.name === stack.provider);
    const provider = this.deps.providers.get(stack.provider!);
    if (!entry || !provider) {
      await this.failover(stack, lab, null, `provider '${stack.provider}' is not configured`);
      return;
    }
    let ref: StackRef;
    stopIfAborted(signal);
    if (stack.providerStackId) {
      ref = { id: stack.providerStackId, name: stack.providerStackName };
    } else {
      const keyPair = wantsPlatformKeyPair(declaredParameters(entry.template)) ? await takePlatformKeyPair(stack.providerStackName) : undefined;
      try {
        ref = await this.holdingLease(stack, () => provider.create({
          name: stack.providerStackName,
          deployment: this.deps.deployment,
          template: entry.template,
          environment: entry.environment,
          ...(entry.files ? { files: entry.files } : {}),
          parameters: launchParameters(entry.template, lab.parameters, stack, keyPair),
          timeoutSeconds: lab.timeouts.launch,
          options: { allowInternet: lab.allowInternet },
        }));
      } catch (error) {
        if (error instanceof ProviderError && error.code === 'TEMPLATE_INVALID') {
          // A template that one provider refuses is the author's to fix, not a reason to try the next cloud.
          await this.finish(stack, 'failed', reason('history.asReported', { detail: error.userMessage }), { error_code: error.code });
          return;
        }
        await this.failover(stack, lab, null, errorText(error));
        return;
      }
      // The platform's private key is kept from now on: the template's outputs will not carry it.
      const secrets = keyPair ? { secrets: this.deps.keys.encrypt(JSON.stringify({ privateKey: keyPair.privateKey })) } : {};
      const saved = await this.store.update(stack.id, ['CREATING'], { provider_stack_id: ref.id, ...secrets }, this.now, this.guard());
      if (!saved) {
        await this.dropIfSuperseded(stack.id, provider, ref);
        throw new LeaseLost();
      }
      stack = saved;
    }
    const result = await this.poll(stack, provider, ref, 'CREATE', signal);
    if (result?.status === 'COMPLETE') {
      await this.finish(stack, 'ok', reason('history.created'), { ...this.readyChanges(lab, result.outputs, await this.platformPrivateKey(stack)), ...unattended(stack) });
      return;
    }
    if (result?.cause === 'INTERRUPTED' && stack.attempts < REBUILDS_AFTER_INTERRUPTION) {
      await this.create(await this.rebuildInterrupted(stack, provider, ref, result.reason), signal);
      return;
    }
    await this.failover(stack, lab, { provider, ref }, result ? result.reason || 'create failed' : 'the stack disappeared while it was being created');
  }

  /**
   * A create that stacklab's own process was running when it died (the local runtime builds in-process)
   * is our failure, not the lab's: what it made is removed and the stack is built again, under a new
   * name so that nothing of the old build can be adopted. Bounded, so a build that kills its builder
   * every time still ends as a failed launch.
   */
  private async rebuildInterrupted(stack: Stack, provider: Provider, ref: StackRef, detail: string): Promise<Stack> {
    this.deps.logger.warn({ stack: stack.id, provider: provider.name, name: ref.name, reason: detail }, 'create interrupted by a stopped process; building it again');
    await provider.delete(ref).catch((error) => this.deps.logger.warn({ err: error, stack: stack.id }, 'could not remove the interrupted build; the reconciler will'));
    const changes = { provider_stack_id: null, provider_stack_name: nextGeneration(this.deps.deployment, stack), attempts: stack.attempts + 1, secrets: null };
    const moved = await this.store.update(stack.id, ['CREATING'], changes, this.now, this.guard());
    if (!moved) throw new LeaseLost();
    return moved;
  }

  /**
   * A create that finished after its lease was lost: when the stack's row has moved on to another name
   * or provider (failover, delete), the stack just made is nobody's, and is removed now rather than
   * left for the reconciler. When the row still names it, the new holder adopts it by name.
   */
  private async dropIfSuperseded(id: string, provider: Provider, ref: StackRef): Promise<void> {
    const now = await this.store.get(id);
    if (now && now.providerStackName === ref.name && now.provider === provider.name && now.state !== 'DELETED') return;
    this.deps.logger.warn({ stack: id, provider: provider.name, name: ref.name }, 'a create finished after its lease was lost and its row moved on; deleting what it made');
    await provider.delete(ref).catch((error) => this.deps.logger.warn({ err: error, stack: id }, 'could not delete it; the reconciler will'));
  }

  /**
   * Picks the first of the lab's providers (in order) that is enabled, not yet tried in this launch and
   * below its capacity. The count and the choice happen under a per-provider advisory lock so that
   * concurrent launches cannot overshoot a capacity.
   */
  private async pickProvider(stack: Stack, lab: Lab): Promise<Stack | null> {
    const candidates = lab.providers.filter((p) => p.capacity !== 0 && !stack.triedProviders.includes(p.name));
    for (const entry of candidates) {
      const chosen = await this.deps.db.transaction(async (tx) => {
        const store = this.store.withTransaction(tx);
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`provider:${entry.name}`]);
        if (entry.capacity > 0 && (await store.countOnProvider(entry.name, OCCUPYING_STATES)) >= entry.capacity) return null;
        return store.update(stack.id, ['CREATING'], { provider: entry.name }, this.now, this.guard());
      });
      if (chosen) return chosen;
      this.deps.logger.info({ stack: stack.id, provider: entry.name }, 'provider at capacity; trying the next');
    }
    // Nothing left to try: say why in the learner's terms, keeping the last failure when there was one.
    const why = lab.providers.every((p) => p.capacity === 0)
      ? reason('history.providersDisabled')
      : candidates.length === 0 && stack.error
        ? reason('history.asReported', { detail: stack.error })
        : reason('history.providersFull');
    await this.finish(stack, 'failed', why, { error_code: 'NO_PROVIDER' });
    return null;
  }

  /** A failed create: clean up what the provider left, then hand the launch to the next provider. */
  private async failover(stack: Stack, lab: Lab, made: { provider: Provider; ref: StackRef } | null, detail: string): Promise<void> {
    this.deps.logger.warn({ stack: stack.id, provider: stack.provider, reason: detail }, 'create failed');
    if (made) await made.provider.delete(made.ref).catch((error) => this.deps.logger.warn({ err: error, stack: stack.id }, 'cleanup of a failed create failed; the reconciler will retry'));
    const tried = [...stack.triedProviders, stack.provider ?? ''].filter(Boolean);
    const remaining = lab.providers.filter((p: LabProvider) => p.capacity !== 0 && !tried.includes(p.name));
    const failed = { provider: String(stack.provider), detail: detail.replace(/\.\s*$/, '') };
    if (remaining.length === 0) {
      await this.finish(stack, 'failed', reason('history.launchFailed', failed), { tried_providers: tried, error_code: 'CREATE_FAILED' });
      return;
    }
    await this.finish(stack, 'failed', reason('history.launchFailedNext', { ...failed, next: remaining[0]!.name }), {
      tried_providers: tried,
      provider: null,
      provider_stack_id: null,
      error: reasonText(reason('history.launchFailed', failed)),
      error_code: 'FAILOVER',
      provider_stack_name: `${stack.providerStackName}-${tried.length}`,
    }, 'LAUNCH_PENDING');
  }

  /** The private key the platform made for this stack at create (see platform-key-pair.ts), if any. */
  private async platformPrivateKey(stack: Stack): Promise<string | undefined> {
    const sealed = await this.store.getSealedSecrets(stack.id);
    if (!sealed) return undefined;
    const opened = JSON.parse(this.deps.keys.decrypt(sealed)) as { privateKey?: unknown };
    return typeof opened.privateKey === 'string' ? opened.privateKey : undefined;
  }

  private readyChanges(lab: Lab, outputs: Record<string, unknown>, platformPrivateKey?: string): StackChanges {
    const now = this.now;
    // Secret outputs (private_key, password, the lab's declared ones, names that look secret) are sealed.
    const { visible, secret } = splitOutputs(outputs, lab);
    const { private_key: privateKey, password, ...others } = secret;
    const secrets: Record<string, unknown> = {
      ...(privateKey !== undefined ? { privateKey: String(privateKey) } : {}),
      ...(password !== undefined ? { password: String(password) } : {}),
      ...(Object.keys(others).length ? { outputs: others } : {}),
    };
    // A key pair made from the platform's public key has no private key on the cloud: the output is
    // empty, and the platform's own private key is the login key.
    if (platformPrivateKey && !secrets.privateKey) secrets.privateKey = platformPrivateKey;
    return {
      public_ip: typeof outputs.public_ip === 'string' ? outputs.public_ip : null,
      outputs: visible,
      secrets: Object.keys(secrets).length ? this.deps.keys.encrypt(JSON.stringify(secrets)) : null,
      error: null,
      error_code: null,
      attempts: 0,
      last_activity_at: now,
      suspend_at: addSeconds(now, lab.timeouts.suspend),
      delete_by: addSeconds(now, lab.timeouts.deleteAge),
    };
  }

  // ---- suspend / resume ----------------------------------------------------------------------

  /**
   * Whether the stack is one the platform saw suspend (or shelve) and has asked nothing of since, so
   * the provider may resume it without looking first: a resume asked of a SUSPENDED stack (the claim
   * read where the request found it), or the one ending a wake-up from the shelf.
   */
  private sawSuspended(stack: Stack): boolean {
    if (stack.state === 'UNSHELVING') return true;
    return (stack as Partial<ClaimedStack>).resumeRequestedFrom === 'SUSPENDED';
  }

  private async simpleAction(stack: Stack, action: 'SUSPEND' | 'RESUME', signal: AbortSignal, resumed = reason('history.resumed')): Promise<void> {
    const target = this.providerOf(stack);
    if (!target) {
      await this.withoutProvider(stack);
      return;
    }
    const lab = this.labOf(stack);
    // The resume that ends a wake-up from shelved fails that wake-up.
    const code = stack.state === 'UNSHELVING' ? 'UNSHELVE_FAILED' : (`${action}_FAILED` as const);
    if (action === 'SUSPEND' && this.deps.hooks.beforeSuspend) await this.runHook('beforeSuspend', stack);
    // A running pool stack just claimed runs already: it is only personalized.
    if (action === 'RESUME' && stack.personalize === 'READY') return this.running(stack, reason('history.poolClaimedRunning'), lab, target.provider, target.ref);
    stopIfAborted(signal);
    try {
      const suspended = action === 'RESUME' && this.sawSuspended(stack);
      await this.holdingLease(stack, () => (action === 'SUSPEND' ? target.provider.suspend(target.ref) : target.provider.resume(target.ref, { suspended })));
    } catch (error) {
      await this.finish(stack, 'failed', actionFailed(action === 'SUSPEND' ? 'suspend' : 'resume', errorText(error)), { attempts: stack.attempts + 1, error_code: code });
      return;
    }
    const result = await this.poll(stack, target.provider, target.ref, action, signal);
    if (result?.status !== 'COMPLETE') {
      const why = result ? reportedOr(result.reason, action === 'SUSPEND' ? 'suspend' : 'resume') : reason('history.goneFromProvider');
      await this.finish(stack, 'failed', why, { attempts: stack.attempts + 1, error_code: code });
      return;
    }
    const now = this.now;
    const deleteAge = lab?.timeouts.deleteAge ?? 14 * 24 * 3600;
    if (action === 'SUSPEND') {
      await this.finish(stack, 'ok', reason('history.suspended'), {
        attempts: 0,
        error: null,
        delete_by: addSeconds(now, deleteAge),
        suspend_at: null,
        suspend_by: null,
        // A departure that suspended the stack is spent: the learner's return starts afresh.
        departed_at: null,
        departure_suspend_at: null,
        ...this.shelveTier(stack, lab, target.provider),
        ...unattended(stack),
      });
      return;
    }
    await this.running(stack, stack.personalize ? reason('history.poolClaimedResumed') : resumed, lab, target.provider, target.ref);
  }

  /**
   * The second tier, fixed as the suspend completes (domain/dormancy.ts): how long unused before the
   * stack is shelved (the lab's choice, else its provider's default; never where the provider cannot
   * shelve), counted from last activity like the delete age.
   */
  private shelveTier(stack: Stack, lab: Lab | undefined, provider: Provider): StackChanges {
    const seconds = effectiveShelveAfter(lab?.timeouts.shelveAfter, provider.shelve && provider.unshelve ? provider.dormancy : undefined);
    return { shelve_after: seconds, shelve_at: seconds > 0 ? addSeconds(stack.lastActivityAt, seconds) : null };
  }

  /** The stack runs again (resumed, or woken from shelved): new deadlines, then reboot_on_resume and the hook. */
  private async running(stack: Stack, why: HistoryReason, lab: Lab | undefined, provider: Provider, ref: StackRef): Promise<void> {
    // A pool stack claimed while it ran was not resumed: nothing to reboot after.
    const claimedRunning = stack.personalize === 'READY';
    const personalized = stack.personalize ? await this.personalizeClaimed(stack) : {};
    if (!personalized) return;
    const now = this.now;
    const ready = await this.finish(stack, 'ok', why, {
      ...personalized,
      attempts: 0,
      error: null,
      last_activity_at: now,
      // A resume asked to hold the stack until a time (habit resume: until after the learner's usual
      // time, services/predictive-resume.ts) keeps it when that is later than its own suspend timeout.
      suspend_at: later(addSeconds(now, lab?.timeouts.suspend ?? 120), stack.suspendAt),
      delete_by: addSeconds(now, lab?.timeouts.deleteAge ?? 14 * 24 * 3600),
      shelve_at: null,
    });
    if (!claimedRunning) await this.rebootOnResume(ready, provider, ref);
    if (this.deps.hooks.afterResume) await this.runHook('afterResume', ready);
  }

  /**
   * A stack claimed from a warm pool, running again: a new key pair and password for the learner, pushed
   * in by the personalization hook with the pool's credentials, then sealed as the stack's secrets in
   * place of the pool's. Null when it failed (the stack is failed with the reason; it now runs, so the
   * retry only personalizes).
   */
  private async personalizeClaimed(stack: Stack): Promise<StackChanges | null> {
    const sealed = await this.store.getSealedSecrets(stack.id);
    const poolSecrets = sealed ? (JSON.parse(this.deps.keys.decrypt(sealed)) as StackSecrets) : {};
    const keyPair = await takePlatformKeyPair(stack.providerStackName);
    const password = randomBytes(15).toString('base64url');
    try {
      const hook = this.deps.hooks.personalize;
      if (hook) await this.holdingLease(stack, () => hook(stack, poolSecrets, { publicKey: keyPair.publicKey, password }));
    } catch (error) {
      this.deps.logger.warn({ err: error, stack: stack.id }, 'personalization of a stack claimed from the pool failed');
      await this.finish(stack, 'failed', reason('history.personalizeFailed', { detail: errorText(error) }), { attempts: stack.attempts + 1, error_code: 'PERSONALIZE_FAILED', personalize: 'READY' });
      return null;
    }
    const secrets: StackSecrets = { ...poolSecrets, privateKey: keyPair.privateKey, password };
    return { secrets: this.deps.keys.encrypt(JSON.stringify(secrets)), personalize: null };
  }

  // ---- shelve / unshelve (the second tier of dormancy) ---------------------------------------------

  /**
   * Shelves a suspended stack, or takes a shelved one's servers off the shelf, by calling the provider's
   * step until it reports COMPLETE or FAILED (provider.ts, point 7), renewing the lease between steps; a
   * woken stack is then resumed as usual (Heat resumes what is still suspended and skips the servers the
   * unshelve left ACTIVE). A step changes the cloud, so a stopping worker lets the one in flight finish
   * and hands the stack back at the pause.
   */
  private async dormancyStep(stack: Stack, kind: 'shelve' | 'unshelve', signal: AbortSignal): Promise<void> {
    const target = this.providerOf(stack);
    if (!target) {
      await this.withoutProvider(stack);
      return;
    }
    const { provider, ref } = target;
    const code = kind === 'shelve' ? 'SHELVE_FAILED' : 'UNSHELVE_FAILED';
    const step = kind === 'shelve' ? provider.shelve : provider.unshelve;
    if (!step) {
      // A provider that cannot shelve (its settings changed since) holds the stack merely suspended.
      if (kind === 'unshelve') return this.simpleAction(stack, 'RESUME', signal, reason('history.resumedCannotShelve'));
      await this.finish(stack, 'failed', reason('history.cannotShelve', { provider: provider.name }), { attempts: stack.attempts + 1, error_code: code });
      return;
    }
    for (;;) {
      stopIfAborted(signal);
      await this.renew(stack);
      let progress;
      try {
        progress = await step.call(provider, ref);
      } catch (error) {
        await this.finish(stack, 'failed', actionFailed(kind, errorText(error)), { attempts: stack.attempts + 1, error_code: code });
        return;
      }
      if (progress.status === 'FAILED') {
        if (progress.cause === 'NO_ROOM') {
          await this.finish(stack, 'failed', reason('history.noRoom', { detail: progress.reason }), { attempts: stack.attempts + 1, error_code: 'PROVIDER_FULL' });
          return;
        }
        await this.finish(stack, 'failed', reportedOr(progress.reason, kind), { attempts: stack.attempts + 1, error_code: code });
        return;
      }
      if (progress.status === 'COMPLETE') break;
      await this.sleep(this.deps.settings.pollSeconds * 1000, signal);
    }
    if (kind === 'shelve') {
      await this.finish(stack, 'ok', reason('history.shelved'), { attempts: 0, error: null, shelve_at: null });
      return;
    }
    await this.simpleAction(stack, 'RESUME', signal, reason('history.woken'));
  }

  /** hastexo templates list servers to reboot after a resume (a nested-virtualisation workaround). */
  private async rebootOnResume(stack: Stack, provider: Provider, ref: StackRef): Promise<void> {
    const raw = stack.outputs.reboot_on_resume;
    const servers = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? raw.split(',').map((s) => s.trim()) : [];
    if (servers.length === 0) return;
    if (!provider.rebootServers) {
      this.deps.logger.info({ stack: stack.id, servers }, `provider ${provider.name} cannot reboot servers; reboot_on_resume ignored`);
      return;
    }
    await provider.rebootServers(ref, servers).catch((error) => this.deps.logger.warn({ err: error, stack: stack.id }, 'reboot_on_resume failed'));
  }

  private async runHook(name: Exclude<keyof LifecycleHooks, 'personalize'>, stack: Stack): Promise<void> {
    try {
      await this.deps.hooks[name]?.(stack);
    } catch (error) {
      this.deps.logger.warn({ err: error, stack: stack.id, hook: name }, 'lifecycle hook failed; continuing');
    }
  }

  // ---- delete -----------------------------------------------------------------------------------

  private async remove(stack: Stack, signal: AbortSignal): Promise<void> {
    const target = this.providerOf(stack);
    let deletedReason = reason('history.deleted');
    if (target) {
      if (this.deps.hooks.beforeDelete && stack.publicIp) await this.runHook('beforeDelete', stack);
      stopIfAborted(signal);
      try {
        await this.holdingLease(stack, () => target.provider.delete(target.ref));
      } catch (error) {
        await this.finish(stack, 'failed', actionFailed('delete', errorText(error)), { attempts: stack.attempts + 1, error_code: 'DELETE_FAILED' });
        return;
      }
      const result = await this.poll(stack, target.provider, target.ref, 'DELETE', signal);
      if (result && result.status !== 'COMPLETE') {
        await this.finish(stack, 'failed', reportedOr(result.reason, 'delete'), { attempts: stack.attempts + 1, error_code: 'DELETE_FAILED' });
        return;
      }
    } else if (this.providerGone(stack)) {
      if (!stack.relaunch) {
        await this.finish(stack, 'failed', reason('history.deleteNoProvider', { provider: String(stack.provider) }), { attempts: stack.attempts + 1, error_code: 'DELETE_FAILED' });
        return;
      }
      // The learner chose a fresh start over waiting for a provider that is gone: the old stack cannot be
      // reached, so it is named for the operator (history and log) instead of being retried forever.
      this.deps.logger.warn({ stack: stack.id, provider: stack.provider, providerStack: stack.providerStackName, providerStackId: stack.providerStackId }, 'reset of a stack whose provider is gone: its provider stack is left behind; delete it by hand');
      deletedReason = reason('history.deletedLeftBehind', { provider: String(stack.provider), providerStack: stack.providerStackName, providerStackId: String(stack.providerStackId) });
    }
    const deleted = await this.finish(stack, 'ok', deletedReason, {
      public_ip: null,
      secrets: null,
      outputs: {},
      provider_stack_id: null,
      suspend_at: null,
      suspend_by: null,
      delete_by: null,
      attempts: 0,
      error: null,
    });
    if (deleted.relaunch) {
      const lab = this.labOf(deleted);
      if (!lab) return;
      const moved = await this.store.transition({
        id: deleted.id,
        from: ['DELETED'],
        to: 'LAUNCH_PENDING',
        reason: reason('history.relaunchAfterReset'),
        actor: `worker:${this.deps.settings.worker}`,
        now: this.now,
        // A reset away from a full or gone provider (StackService.reset) listed it as tried already.
        changes: { ...freshLaunch(lab, this.now, await freshName(this.store, this.deps.deployment, deleted)), tried_providers: deleted.triedProviders },
      });
      if (moved) this.deps.events.emit('stack.transition', { stack: moved, from: 'DELETED', to: 'LAUNCH_PENDING', reason: reasonText(reason('history.relaunchAfterReset')) });
    }
  }
}

/**
 * The lab's parameters plus the per-learner values hastexo passed (`run`), the latter only where the
 * template declares them: Heat refuses parameters a template does not declare.
 */
export function launchParameters(
  template: string,
  labParameters: Record<string, ParameterValue>,
  stack: Pick<Stack, 'run' | 'learner'>,
  keyPair?: PlatformKeyPair,
): Record<string, ParameterValue> {
  const declared = declaredParameters(template);
  const platform: Record<string, ParameterValue> = { run: stack.run };
  if (keyPair) {
    platform[PUBLIC_KEY_PARAMETER] = keyPair.publicKey;
    platform[PRIVATE_KEY_PARAMETER] = keyPair.privateKey;
  }
  const out: Record<string, ParameterValue> = { ...labParameters };
  for (const [key, value] of Object.entries(platform)) if (declared.includes(key)) out[key] = value;
  return out;
}

/**
 * A pool stack has nobody to be idle or to abandon it: no idle suspend, no reaper deadline, no shelving;
 * the pool keeps it as it wants it (services/warm-pools.ts) until a learner claims it.
 */
function unattended(stack: Stack): StackChanges {
  return stack.pool ? { suspend_at: null, delete_by: null, shelve_after: 0, shelve_at: null } : {};
}

function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new OperationAborted('the worker is stopping');
}

/** `promise`, or OperationAborted as soon as `signal` fires (the promise itself runs on, unheeded). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  stopIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new OperationAborted('the worker is stopping'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function declaredParameters(template: string): string[] {
  try {
    return Object.keys(parseTemplate(template).parameters);
  } catch {
    // A template that does not parse fails at the provider with the real reason.
    return [];
  }
}

function errorText(error: unknown): string {
  if (error instanceof ProviderError) return error.userMessage;
  return error instanceof Error ? error.message : String(error);
}

/** The later of a deadline and an optional other one. */
function later(date: Date, other: Date | null): Date {
  return other !== null && other.getTime() > date.getTime() ? other : date;
}
