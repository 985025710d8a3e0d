/**
 * Keepalives arrive by the thousand (one per open lab page every 30 s). Each is a durable write, and on a
 * small machine the commit, not the request, is what costs. The batcher is group commit for activity:
 * keepalives that arrive while a write is in flight join the next one, so at low load each keepalive is
 * written at once and at high load hundreds share one statement. Every caller still waits for its row
 * to be committed before it answers.
 */
import type { StackStore } from '../db/stack-store.ts';
import type { Stack } from '../domain/stack.ts';

interface Waiting {
  at: Date;
  waiters: Array<{ resolve: (stack: Stack | null) => void; reject: (error: unknown) => void }>;
}

export class ActivityBatcher {
  private pending = new Map<string, Waiting>();
  private flushing = false;

  constructor(
    private readonly store: StackStore,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves with the updated stack, or null when it is not READY (the caller takes the general path). */
  touch(id: string, at: Date): Promise<Stack | null> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(id) ?? { at, waiters: [] };
      if (at > entry.at) entry.at = at;
      entry.waiters.push({ resolve, reject });
      this.pending.set(id, entry);
      if (!this.flushing) {
        this.flushing = true;
        // Requests that arrive in the same turn of the event loop share the first write.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = new Map([...this.pending].slice(0, this.maxBatch));
      for (const id of batch.keys()) this.pending.delete(id);
      try {
        const rows = await this.store.touchReady([...batch.keys()], [...batch.values()].map((w) => w.at));
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const [id, entry] of batch) for (const w of entry.waiters) w.resolve(byId.get(id) ?? null);
      } catch (error) {
        for (const entry of batch.values()) for (const w of entry.waiters) w.reject(error);
      }
    }
    this.flushing = false;
  }
}
