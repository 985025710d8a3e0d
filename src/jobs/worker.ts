/**
 * The worker loop: claims pending work (and operations whose worker died) from the store and runs up to
 * `concurrency` of them at once. Several workers, in one process or many, share the store safely: claims
 * use SKIP LOCKED and every write is guarded by the claimant's lease.
 *
 * Two claims. The general one looks at everything (pending work oldest first, expired leases) and runs
 * when the worker starts, when a slot frees (so work that waited for room goes in order), after a full
 * claim, and at least every `idlePollMs`. Work requested in this process pokes the worker with its
 * stack's id, and when the worker has room for all such ids and nothing else is known to wait, it
 * claims just those ids (StackStore.claimPending: the primary key, a prepared statement): the learner's
 * suspend or resume starts a few milliseconds sooner, and the general claim's guarantees hold, since it
 * still runs on its own schedule and whatever a fast claim missed (taken by another worker, locked, more
 * ids than free slots) is left for it, at once.
 *
 * `stop()` returns within moments, not after the operations in flight finish (a launch may poll for
 * its whole launch timeout): it aborts them, and each hands its stack back at its next wait, still in
 * progress and with no lease, for the next worker (or this one, started again) to take over.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { ClaimedStack, StackStore } from '../db/stack-store.ts';
import { addSeconds } from '../domain/policy.ts';
import type { Clock } from '../infra/clock.ts';
import type { Operations } from '../services/operations.ts';

export interface WorkerSettings {
  id: string;
  concurrency: number;
  leaseSeconds: number;
  idlePollMs: number;
  suspendTaskTimeout: number;
  /** Seconds a shelve or unshelve may take (default: suspendTaskTimeout). */
  shelveTaskTimeout?: number;
  deleteTaskTimeout: number;
}

export class Worker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private running = false;
  private wake: (() => void) | null = null;
  /** Work may be waiting that the last claim did not see (asked for, or a slot freed, since it began). */
  private poked = false;
  /** Stacks asked for in this process since the last claim: the fast claim takes these by id. */
  private readonly asked = new Set<string>();
  /** The next claim must be the general one (a slot freed, work of unknown stacks, a fast claim missed). */
  private wantGeneral = true;
  /** When the general claim is due again (performance.now() milliseconds), however many fast claims ran. */
  private generalDue = 0;
  private loop: Promise<void> | null = null;
  /** Fired by stop(); every operation this worker runs listens to it. */
  private stopping: AbortController;

  constructor(
    private readonly deps: { store: StackStore; operations: Operations; clock: Clock; logger: Logger; settings: WorkerSettings },
  ) {
    this.stopping = this.stopSignal();
  }

  /**
   * Each operation in flight listens with up to two listeners at once (a status read and a pause):
   * more than Node's default of 10 is the normal case at a concurrency above 5, not a leak.
   */
  private stopSignal(): AbortController {
    const controller = new AbortController();
    setMaxListeners(Math.max(10, this.deps.settings.concurrency * 4), controller.signal);
    return controller;
  }

  /** Claims once (the general claim) and starts what it claimed; returns how many it started. */
  async tick(): Promise<number> {
    const free = this.deps.settings.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    return this.begin(await this.deps.store.claim({ ...this.claimInput(), limit: free }));
  }

  /** The fast claim of stacks asked for by id; returns how many it started. */
  private async tickAsked(ids: string[]): Promise<number> {
    return this.begin(await this.deps.store.claimPending({ ...this.claimInput(), ids }));
  }

  private claimInput() {
    const now = this.deps.clock.now();
    return {
      worker: this.deps.settings.id,
      now,
      leaseUntil: addSeconds(now, this.deps.settings.leaseSeconds),
      suspendTaskTimeout: this.deps.settings.suspendTaskTimeout,
      shelveTaskTimeout: this.deps.settings.shelveTaskTimeout,
      deleteTaskTimeout: this.deps.settings.deleteTaskTimeout,
    };
  }

  private begin(claimed: ClaimedStack[]): number {
    for (const stack of claimed) {
      const job = this.deps.operations.run(stack, this.stopping.signal).finally(() => {
        this.inFlight.delete(stack.id);
        this.poke();
      });
      this.inFlight.set(stack.id, job);
    }
    return claimed.length;
  }

  /**
   * One pass of the loop: the fast claim when only stacks asked for by id wait and the worker has room
   * for them all; the general claim otherwise. Returns how many it started, and how
   * many it had room for.
   */
  private async claimOnce(): Promise<{ started: number; free: number }> {
    const free = this.deps.settings.concurrency - this.inFlight.size;
    const ids = [...this.asked];
    this.asked.clear();
    // A full worker claims nothing; the slot that frees pokes for the general claim, which takes the oldest first.
    if (free <= 0) return { started: 0, free };
    const general = this.wantGeneral || ids.length === 0 || ids.length > free || performance.now() >= this.generalDue;
    if (!general) {
      const started = await this.tickAsked(ids);
      // Missed ids (another worker took them, a row was locked) are the general claim's, now.
      if (started < ids.length) this.poke();
      return { started, free };
    }
    this.wantGeneral = false;
    this.generalDue = performance.now() + this.deps.settings.idlePollMs;
    return { started: await this.tick(), free };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        this.poked = false;
        let started = 0;
        let free = this.deps.settings.concurrency - this.inFlight.size;
        try {
          ({ started, free } = await this.claimOnce());
        } catch (error) {
          this.deps.logger.error({ err: error }, 'worker claim failed; retrying');
        }
        // A claim that took fewer than it had room for saw all the work there was: claiming again at once
        // would only compete with the operations just started for the database (a learner's suspend then
        // waits for it). Work asked for during the claim pokes, and the loop claims again.
        const sawEverything = started < free;
        if ((started === 0 || sawEverything) && !this.poked && this.running) {
          await new Promise<void>((resolve) => {
            // Until the general claim is due: fast claims in between do not put it off.
            const timer = setTimeout(resolve, Math.max(0, this.generalDue - performance.now()));
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          this.wake = null;
        }
      }
    })();
  }

  /**
   * Nudges an idle loop to claim now: with the id of a stack whose work was just asked for in this
   * process (it may then be claimed by id), without one when other work may wait (a slot freed, a sweep).
   */
  poke(stackId?: string): void {
    if (stackId === undefined) this.wantGeneral = true;
    else this.asked.add(stackId);
    this.poked = true;
    this.wake?.();
  }

  /** Stops claiming, aborts the operations in flight and waits until each has handed its stack back. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.stopping.abort();
    await Promise.allSettled(this.inFlight.values());
    // A worker started again claims with a fresh signal.
    this.stopping = this.stopSignal();
  }

  /** Waits for the operations in flight (tests). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()]);
  }

  get busy(): number {
    return this.inFlight.size;
  }
}
