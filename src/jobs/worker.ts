/**
 * The worker loop: claims pending work (and operations whose worker died) from the store and runs up to
 * `concurrency` of them at once. Several workers, in one process or many, share the store safely: claims
 * use SKIP LOCKED and every write is guarded by the claimant's lease.
 *
 * `stop()` returns within moments, not after the operations in flight finish (a launch may poll for
 * its whole launch timeout): it aborts them, and each hands its stack back at its next wait, still in
 * progress and with no lease, for the next worker (or this one, started again) to take over.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { StackStore } from '../db/stack-store.ts';
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

  /** Claims once and starts what it claimed; returns how many it started. */
  async tick(): Promise<number> {
    const free = this.deps.settings.concurrency - this.inFlight.size;
    if (free <= 0) return 0;
    const now = this.deps.clock.now();
    const claimed = await this.deps.store.claim({
      worker: this.deps.settings.id,
      now,
      leaseUntil: addSeconds(now, this.deps.settings.leaseSeconds),
      limit: free,
      suspendTaskTimeout: this.deps.settings.suspendTaskTimeout,
      shelveTaskTimeout: this.deps.settings.shelveTaskTimeout,
      deleteTaskTimeout: this.deps.settings.deleteTaskTimeout,
    });
    for (const stack of claimed) {
      const job = this.deps.operations.run(stack, this.stopping.signal).finally(() => {
        this.inFlight.delete(stack.id);
        this.poke();
      });
      this.inFlight.set(stack.id, job);
    }
    return claimed.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        this.poked = false;
        const free = this.deps.settings.concurrency - this.inFlight.size;
        let started = 0;
        try {
          started = await this.tick();
        } catch (error) {
          this.deps.logger.error({ err: error }, 'worker claim failed; retrying');
        }
        // A claim that took fewer than it had room for saw all the work there was: claiming again at once
        // would only compete with the operations just started for the database (a learner's suspend then
        // waits for it). Work asked for during the claim pokes, and the loop claims again.
        const sawEverything = started < free;
        if ((started === 0 || sawEverything) && !this.poked && this.running) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.deps.settings.idlePollMs);
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

  /** Nudges an idle loop to claim now (after an API request created work). */
  poke(): void {
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
