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
  /** The ids of each claim by id (StackStore.claimPending), in order. */
  readonly byId: string[][] = [];
  hold: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  async claim(input: { limit: number }): Promise<ClaimedStack[]> {
    this.calls.push(input.limit);
    return this.take(input.limit);
  }
  /** Takes the named ids that are still queued, as the statement would take those still pending. */
  async claimPending(input: { ids: readonly string[] }): Promise<ClaimedStack[]> {
    this.byId.push([...input.ids]);
    const taken = input.ids.filter((id) => this.queue.includes(id));
    for (const id of taken) this.queue.splice(this.queue.indexOf(id), 1);
    this.waiters.splice(0).forEach((w) => w());
    return taken.map((id) => ({ id }) as unknown as ClaimedStack);
  }
  private async take(limit: number): Promise<ClaimedStack[]> {
    this.waiters.splice(0).forEach((w) => w());
    // What a claim takes is decided by its statement; the answer may come back later.
    const taken = this.queue.splice(0, limit);
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

function worker(store: ClaimQueue, operations: HeldOperations, idlePollMs: number, concurrency = 4): Worker {
  return new Worker({
    store: store as unknown as StackStore,
    operations: operations as unknown as Operations,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    settings: { id: 'w1', concurrency, leaseSeconds: 60, idlePollMs, suspendTaskTimeout: 60, deleteTaskTimeout: 60 },
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

  test('work asked for in this process is claimed by its id, not by the general claim', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    const w = worker(store, ops, 60_000);
    w.start();
    try {
      await resting(w);
      assert.deepEqual(store.calls, [4], 'the general claim when the worker starts');
      store.queue.push('a');
      const next = store.nextCall();
      w.poke('a');
      await within(5_000, 'the claim of the stack asked for', next);
      await ops.startedAll(['a']);
      await resting(w);
      assert.deepEqual(store.byId, [['a']], 'claimed by its id');
      assert.deepEqual(store.calls, [4], 'no general claim for it');
    } finally {
      ops.endAll();
      await w.stop();
    }
  });

  test('claims by id do not put off the general claim: it still runs every idle poll', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    // Room for every stack the storm below asks for, so only the idle poll's due time brings the general claim round.
    const w = worker(store, ops, 50, 100_000);
    w.start();
    try {
      await resting(w);
      // Work of another process (no poke) waits in the queue while this process asks for its own stacks
      // back to back, each claim by id awaited: the general claim must still come round and take it.
      store.queue.push('other');
      void (async () => {
        for (let i = 0; !ops.started.has('other'); i++) {
          store.queue.unshift(`own-${i}`);
          const next = store.nextCall();
          w.poke(`own-${i}`);
          await next;
          // Lets the timers run between claims (a chain of promises alone would starve them).
          await new Promise((r) => setImmediate(r));
        }
      })();
      await within(5_000, "the other process's work, under claims by id", ops.startedAll(['other']));
      assert.ok(store.byId.length >= 1, 'no claim by id ran');
    } finally {
      ops.endAll();
      await w.stop();
    }
  });

  test('an id the fast claim missed (another worker took it, or it was locked) sends the general claim at once', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    const w = worker(store, ops, 60_000);
    w.start();
    try {
      await resting(w);
      // 'gone' was taken elsewhere; 'b' waits, asked for from another process: the miss makes the worker look.
      store.queue.push('b');
      w.poke('gone');
      await within(5_000, 'the general claim after a miss', ops.startedAll(['b']));
      assert.deepEqual(store.byId, [['gone']]);
      assert.deepEqual(store.calls, [4, 4]);
    } finally {
      ops.endAll();
      await w.stop();
    }
  });

  test('a full worker takes the older work first when a slot frees, not the id it was poked with', async () => {
    const store = new ClaimQueue();
    const ops = new HeldOperations();
    store.queue.push('a', 'b', 'c', 'd', 'e');
    const w = worker(store, ops, 60_000);
    w.start();
    try {
      await ops.startedAll(['a', 'b', 'c', 'd']);
      await resting(w);
      // 'e' waits since before; 'late' is asked for while there is no room. A slot frees: 'e', the older, goes first.
      store.queue.push('late');
      w.poke('late');
      await resting(w);
      ops.started.get('a')!();
      await within(5_000, 'the older work', ops.startedAll(['e']));
      assert.ok(!ops.started.has('late'), 'the younger request went before the older work');
      assert.deepEqual(store.byId, [], 'claimed by id while full');
    } finally {
      ops.endAll();
      await w.stop();
    }
  });
});
