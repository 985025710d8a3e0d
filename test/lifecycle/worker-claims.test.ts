/**
 * When the worker claims. A claim that took fewer stacks than it had room for saw all the work there
 * was; claiming again at once only competed with the operations it had just started for the database
 * (the learner's suspend waited behind it). It claims again when work is asked for, when an operation
 * ends, or after its idle poll, and never loses a request that came in while a claim was running.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import type { ClaimedStack, StackStore } from '../../src/db/stack-store.ts';
import { Worker } from '../../src/jobs/worker.ts';
import { systemClock } from '../../src/infra/clock.ts';
import type { Operations } from '../../src/services/operations.ts';

/** A store whose claims hand out a queue, each call recorded, and optionally held until released. */
class ClaimQueue {
  readonly queue: string[] = [];
  readonly calls: number[] = [];
  hold: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  async claim(input: { limit: number }): Promise<ClaimedStack[]> {
    this.calls.push(input.limit);
    this.waiters.splice(0).forEach((w) => w());
    // What a claim takes is decided by its statement; the answer may come back later.
    const taken = this.queue.splice(0, input.limit);
    if (this.hold) await this.hold;
    return taken.map((id) => ({ id }) as unknown as ClaimedStack);
  }
  /** Resolves at the next claim call. */
  nextCall(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Operations that end when the test says. */
class HeldOperations {
  readonly started = new Map<string, () => void>();
  private waiters: Array<() => void> = [];
  run(stack: { id: string }): Promise<void> {
    return new Promise((resolve) => {
      this.started.set(stack.id, resolve);
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  /** Ends every operation (as an abort at stop would). */
  endAll(): void {
    for (const end of this.started.values()) end();
  }
  async startedAll(ids: string[]): Promise<void> {
    while (!ids.every((id) => this.started.has(id))) await new Promise<void>((r) => this.waiters.push(r));
  }
}

function worker(store: ClaimQueue, operations: HeldOperations, idlePollMs: number): Worker {
  return new Worker({
    store: store as unknown as StackStore,
    operations: operations as unknown as Operations,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    settings: { id: 'w1', concurrency: 4, leaseSeconds: 60, idlePollMs, suspendTaskTimeout: 60, deleteTaskTimeout: 60 },
  });
}

/** Waits until the worker's loop rests (it rests only between claims). */
async function resting(w: Worker): Promise<void> {
  while (!(w as unknown as { wake: unknown }).wake) await new Promise((r) => setImmediate(r));
}

/** Fails the test rather than waiting out a minute-long idle poll. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('when the worker claims', () => {
  test('a claim that took less than it had room for is not repeated until something changes', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    store.queue.push('a');
    const w = worker(store, ops, 60_000);
    w.start();
    try {
      await ops.startedAll(['a']);
      await resting(w);
      assert.deepEqual(store.calls, [4], 'one claim, for the four free slots, and then rest');
      // The operation ends: its slot is free again and work may wait, so the worker claims at once.
      const next = store.nextCall();
      ops.started.get('a')!();
      await within(5_000, 'the claim after an operation ended', next);
      assert.equal(store.calls.length, 2);
    } finally {
      ops.endAll();
      await w.stop();
    }
  });

  test('a full claim is followed by another at once (more work may be waiting)', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    store.queue.push('a', 'b', 'c', 'd', 'e');
    const w = worker(store, ops, 60_000);
    w.start();
    try {
      await ops.startedAll(['a', 'b', 'c', 'd']);
      await resting(w);
      // Four taken, then a claim with no room is not asked of the store (tick returns before it).
      assert.deepEqual(store.calls, [4]);
      const next = store.nextCall();
      ops.started.get('a')!();
      await within(5_000, 'the claim after a slot freed', next);
      await ops.startedAll(['e']);
    } finally {
      ops.endAll();
      await w.stop();
    }
  });

  test('work asked for while a claim runs is claimed at once, not after the idle poll', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    let release!: () => void;
    store.hold = new Promise<void>((r) => (release = r));
    store.queue.push('a');
    const w = worker(store, ops, 60_000);
    const firstCall = store.nextCall();
    w.start();
    try {
      await within(5_000, 'the first claim', firstCall);
      // The first claim is in flight and has taken only 'a': a request comes in now.
      store.queue.push('b');
      w.poke();
      release();
      await within(5_000, "the request asked for during the first claim", ops.startedAll(['a', 'b']));
    } finally {
      ops.endAll();
      await w.stop();
    }
  });
});
