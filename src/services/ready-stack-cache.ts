/**
 * READY stacks as last read from the store, so a keepalive can be answered without a round trip to
 * PostgreSQL. It is only as good as its invalidation: every change to a stack row (from any process, see
 * migration 005) arrives as a notification that drops the copy, and whenever notifications may have been
 * missed (before listening, or after the connection was lost) the cache holds nothing and answers nothing.
 *
 * A read that was under way when its stack changed could otherwise put the old row back after the
 * notification dropped it; reads therefore register first, and a change or a gap during a read keeps
 * that read's rows out.
 */
import type { ChannelListener } from '../db/database.ts';
import type { Stack } from '../domain/stack.ts';

export class ReadyStackCache implements ChannelListener {
  private readonly entries = new Map<string, Stack>();
  /** Reads under way, per stack id, and the ids that changed while one was. */
  private readonly reading = new Map<string, number>();
  private readonly changedWhileReading = new Set<string>();
  private coherent = false;

  constructor(private readonly capacity: number) {}

  /** A READY stack as the store last showed it, or undefined when unknown or possibly out of date. */
  get(id: string): Stack | undefined {
    return this.coherent ? this.entries.get(id) : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether the cache may answer (it hears every change right now). */
  get coherentNow(): boolean {
    return this.coherent;
  }

  /** Call before reading `ids` from the store, and `endRead` with what came back. */
  beginRead(ids: Iterable<string>): void {
    for (const id of ids) this.reading.set(id, (this.reading.get(id) ?? 0) + 1);
  }

  endRead(ids: Iterable<string>, rows: Stack[]): void {
    if (this.coherent) {
      for (const stack of rows) if (this.cacheable(stack) && !this.changedWhileReading.has(stack.id)) this.put(stack);
    }
    for (const id of ids) {
      const left = (this.reading.get(id) ?? 1) - 1;
      if (left > 0) {
        this.reading.set(id, left);
      } else {
        this.reading.delete(id);
        this.changedWhileReading.delete(id);
      }
    }
  }

  /** The stack changed or is not READY any more. */
  forget(id: string): void {
    this.entries.delete(id);
    if (this.reading.has(id)) this.changedWhileReading.add(id);
  }

  message(id: string): void {
    this.forget(id);
  }

  listening(): void {
    // Reads that started before now may have missed a notification.
    for (const id of this.reading.keys()) this.changedWhileReading.add(id);
    this.coherent = true;
  }

  gap(): void {
    this.coherent = false;
    this.entries.clear();
    for (const id of this.reading.keys()) this.changedWhileReading.add(id);
  }

  private cacheable(stack: Stack): boolean {
    // Without review times the keepalive statement would set them, a change the cached view cannot derive.
    return stack.state === 'READY' && stack.suspendAt !== null && stack.deleteBy !== null;
  }

  private put(stack: Stack): void {
    // The oldest entry goes first, not the least used one, so hits cost no bookkeeping; an evicted stack
    // still in use comes back with its next keepalive.
    this.entries.delete(stack.id);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(stack.id, stack);
  }
}
