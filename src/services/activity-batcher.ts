/**
 * Keepalives arrive by the thousand (one per open lab page every 30 s). Each is a durable write, and on a
 * small machine the commit, not the request, is what costs. The batcher is group commit for activity:
 * keepalives that arrive while writes are in flight join the next one, so at low load each keepalive is
 * written at once and at high load hundreds share one statement. `maxInFlight` allows overlapping writes
 * (measured: no gain over one on this 2-core machine, so one is the default). Every caller still waits for
 * its row to be written before it answers; the commit does not wait for the WAL flush (see
 * StackStore.touchReady for why losing the last fraction of a second of activity is acceptable).
 */
import type { StackStore } from '../db/stack-store.ts';
import type { Stack } from '../domain/stack.ts';

interface Waiting {
  at: Date;
  waiters: Array<{ resolve: (stack: Stack | null) => void; reject: (error: unknown) => void }>;
}

export class ActivityBatcher {
  private pending = new Map<string, Waiting>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly store: StackStore,
    private readonly options: { maxBatch: number; maxInFlight: number } = { maxBatch: 500, maxInFlight: 1 },
  ) {}

  /** Resolves with the updated stack, or null when it is not READY (the caller takes the general path). */
  touch(id: string, at: Date): Promise<Stack | null> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(id) ?? { at, waiters: [] };
      if (at > entry.at) entry.at = at;
      entry.waiters.push({ resolve, reject });
      this.pending.set(id, entry);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.pending.size === 0) return;
    this.scheduled = true;
    // Requests that arrive in the same turn of the event loop share one write.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = new Map([...this.pending].slice(0, this.options.maxBatch));
    if (batch.size === 0) return;
    for (const id of batch.keys()) this.pending.delete(id);
    this.inFlight++;
    try {
      const rows = await this.store.touchReady([...batch.keys()], [...batch.values()].map((w) => w.at));
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, entry] of batch) for (const w of entry.waiters) w.resolve(byId.get(id) ?? null);
    } catch (error) {
      for (const entry of batch.values()) for (const w of entry.waiters) w.reject(error);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
