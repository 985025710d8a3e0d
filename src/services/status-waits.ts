/**
 * Status requests that wait for their stack to change (the lab page's long-poll, GET
 * /api/v1/me/stacks/:id?wait=...): each waiter is woken by the store's stack-change notification
 * (migration 005), so a change made by any process (a worker elsewhere, a hand-written UPDATE) ends the
 * wait within moments, without the page polling.
 *
 * Bounded: at most `capacity` waiters per process (the next one is refused, and the page falls back to
 * its ordinary poll), and at most `perHolder` of them for one learner (their next one is not registered:
 * the route answers it at once), so one learner's many tabs or a script cannot use up the process's
 * waiters and push every other learner's page onto polling. Each is released by its request on
 * disconnect and all of them on `close`. While
 * notifications may be missed (before listening, after the connection was lost) waiters are woken every
 * GAP_RECHECK_MS instead, so a change is still seen as soon as the page's own poll would have seen it.
 */
import { AppError } from '../errors/api-errors.ts';
import type { ChannelListener } from '../db/database.ts';

/** The lab page's poll period while its lab changes state: the fallback while notifications are not heard. */
export const GAP_RECHECK_MS = 1500;

export interface StatusWaiter {
  /**
   * Resolves true when the stack may have changed since the last call (or since `enter`), false when
   * `untilMs` (epoch ms) passed or the waiter was released first.
   */
  next(untilMs: number): Promise<boolean>;
  /** Ends the wait (idempotent): the pending `next` resolves false and the waiter's slot is free again. */
  release(): void;
}

class Waiter implements StatusWaiter {
  private pending = false;
  private released = false;
  private wake: ((changed: boolean) => void) | undefined;

  constructor(private readonly leave: (waiter: Waiter) => void) {}

  poke(): void {
    if (this.wake) this.settle(true);
    else this.pending = true;
  }

  next(untilMs: number): Promise<boolean> {
    if (this.released) return Promise.resolve(false);
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(false), Math.max(0, untilMs - Date.now()));
      this.wake = (changed) => {
        clearTimeout(timer);
        resolve(changed);
      };
    });
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.settle(false);
    this.leave(this);
  }

  private settle(changed: boolean): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.(changed);
  }
}

export class StatusWaits implements ChannelListener {
  private readonly byStack = new Map<string, Set<Waiter>>();
  private readonly byHolder = new Map<string, number>();
  private count = 0;
  private heard = false;
  private closed = false;
  private recheck: NodeJS.Timeout | undefined;

  /**
   * `capacity`: waiters at once in this process (setting status_waiters); 0 refuses every wait.
   * `perHolder`: waiters at once for one learner (setting status_waits_per_learner).
   */
  constructor(
    private readonly capacity: number,
    private readonly perHolder = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Waiters `holder` has at once. */
  heldBy(holder: string): number {
    return this.byHolder.get(holder) ?? 0;
  }

  /**
   * Registers a waiter of `holder` (the learner whose stack it is: the caller checks that first) for
   * the stack's changes: call before reading the stack, so a change made during the read is not
   * missed. Null when `holder` has `perHolder` waiters already: answer at once, without waiting.
   * UNAVAILABLE when this process holds `capacity` waiters already, or is closing.
   */
  enter(stackId: string, holder: string): StatusWaiter | null {
    // A learner at their own cap is answered at once even when the process is full: a status, not a 503.
    if (!this.closed && this.heldBy(holder) >= this.perHolder) return null;
    if (this.closed || this.count >= this.capacity) {
      throw new AppError('UNAVAILABLE', `status waits: ${this.count} of ${this.capacity} in use${this.closed ? ', closing' : ''}`, { retryAfterSeconds: 30 });
    }
    const waiters = this.byStack.get(stackId) ?? new Set<Waiter>();
    this.byStack.set(stackId, waiters);
    const waiter = new Waiter((left) => {
      waiters.delete(left);
      this.count -= 1;
      const held = this.heldBy(holder) - 1;
      if (held > 0) this.byHolder.set(holder, held);
      else this.byHolder.delete(holder);
      if (waiters.size === 0 && this.byStack.get(stackId) === waiters) this.byStack.delete(stackId);
      if (this.count === 0) this.stopRecheck();
    });
    waiters.add(waiter);
    this.count += 1;
    this.byHolder.set(holder, this.heldBy(holder) + 1);
    if (!this.heard) this.startRecheck();
    return waiter;
  }

  /** The stack changed (a notification, or a transition in this process). */
  message(stackId: string): void {
    for (const waiter of this.byStack.get(stackId) ?? []) waiter.poke();
  }

  listening(): void {
    this.heard = true;
    this.stopRecheck();
    // What changed while nobody listened was not announced: every waiter looks once.
    this.pokeAll();
  }

  gap(): void {
    this.heard = false;
    this.pokeAll();
    if (this.count > 0) this.startRecheck();
  }

  /** Releases every waiter (each answers with the status it has) and refuses new ones. */
  close(): void {
    this.closed = true;
    this.stopRecheck();
    for (const waiters of [...this.byStack.values()]) for (const waiter of [...waiters]) waiter.release();
  }

  private pokeAll(): void {
    for (const waiters of this.byStack.values()) for (const waiter of waiters) waiter.poke();
  }

  private startRecheck(): void {
    this.recheck ??= setInterval(() => this.pokeAll(), GAP_RECHECK_MS);
  }

  private stopRecheck(): void {
    clearInterval(this.recheck);
    this.recheck = undefined;
  }
}
