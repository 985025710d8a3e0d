/**
 * Keepalives arrive by the thousand (one per open lab page every 30 s), and each must move a stack's
 * last activity. Two ways through:
 *
 * - Answered at once (write-behind): when the ReadyStackCache holds the stack, the answer is derived
 *   from that row (afterActivity) and the activity joins the next write. Nothing waits for PostgreSQL.
 * - Waiting: any other stack waits for its write and is answered with the row it returned, which also
 *   fills the cache. Stacks that are not READY come back null (the caller takes the general path).
 *
 * Writes are group commit: waiting keepalives that arrive while one write is under way share the next
 * statement, so at low load each is written at once and at high load hundreds share one. Answered ones
 * gather for WRITE_BEHIND_MS first (measured: a fifth fewer CPU microseconds per keepalive than writing
 * them at once, since each statement costs a round trip whatever its size).
 *
 * What write-behind gives up, and why that is acceptable: activity answered but not yet written (a few
 * tens of milliseconds' worth) is lost if this process dies, and the page repeats it within one keepalive
 * interval, while idleness is judged in minutes. A write that fails closes the fast path until one
 * succeeds, so callers see the failure instead of answers the store never saw; the unwritten activity is
 * kept and retried. A stack that stopped being READY before the notification reached the cache shows up
 * when its write leaves it out; it is handed to `notReady`, the general path (which, for example, cancels
 * a suspend that has not started), as a waiting keepalive would have been.
 */
import type { Logger } from 'pino';
import type { StackStore } from '../db/stack-store.ts';
import { afterActivity } from '../db/stack-rows.ts';
import type { Stack } from '../domain/stack.ts';
import type { ReadyStackCache } from './ready-stack-cache.ts';

interface Activity {
  at: Date;
  actor: string;
}

interface Waiting extends Activity {
  waiters: Array<{ resolve: (stack: Stack | null) => void; reject: (error: unknown) => void }>;
}

export interface ActivityLedgerDeps {
  store: StackStore;
  cache: ReadyStackCache;
  /** The general keepalive path, for a stack answered from the cache that turned out not to be READY. */
  notReady: (id: string, at: Date, actor: string) => Promise<unknown>;
  logger?: Logger;
}

/** How long answered keepalives gather before their write; far below any idle timeout. */
const WRITE_BEHIND_MS = 20;
const RETRY_MS = 1000;

export class ActivityLedger {
  private readonly waiting = new Map<string, Waiting>();
  private readonly behind = new Map<string, Activity>();
  private flushing: Promise<void> | null = null;
  private immediate = false;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;
  private readonly followUps = new Set<Promise<unknown>>();
  /** Keepalives answered from the cache, answered after their write, and the writes (for metrics). */
  readonly counts = { fromCache: 0, waited: 0, writes: 0 };

  constructor(
    private readonly deps: ActivityLedgerDeps,
    private readonly options: { maxBatch: number } = { maxBatch: 1000 },
  ) {}

  /** Resolves with the stack as it is after this activity, or null when it is not READY. */
  touch(id: string, at: Date, actor: string): Promise<Stack | null> {
    const cached = this.failing ? undefined : this.deps.cache.get(id);
    if (cached) {
      this.counts.fromCache++;
      const entry = this.behind.get(id);
      if (!entry) this.behind.set(id, { at, actor });
      else if (at > entry.at) Object.assign(entry, { at, actor });
      this.schedule();
      return Promise.resolve(afterActivity(cached, at));
    }
    this.counts.waited++;
    return new Promise((resolve, reject) => {
      const entry = this.waiting.get(id) ?? { at, actor, waiters: [] };
      if (at > entry.at) Object.assign(entry, { at, actor });
      entry.waiters.push({ resolve, reject });
      this.waiting.set(id, entry);
      this.schedule();
    });
  }

  /** How many keepalives are answered but not yet written (for tests and metrics). */
  get unwritten(): number {
    return this.behind.size;
  }

  /**
   * Writes what is pending now and waits for it, and for the general path of stacks that were not
   * READY. Keepalives that arrive meanwhile are not waited for, so under steady load it still ends.
   */
  async drain(): Promise<void> {
    // The write under way, then enough writes for what is pending (each takes the oldest first).
    let rounds = Math.ceil((this.waiting.size + this.behind.size) / this.options.maxBatch) + 1;
    let failures = 0;
    while (rounds-- > 0 && (this.flushing || this.waiting.size > 0 || this.behind.size > 0)) {
      await (this.flushing ?? this.startFlush());
      if (this.failing && ++failures >= 2) break;
    }
    await Promise.allSettled([...this.followUps]);
  }

  /** Drains, then stops writing; activity the store would not take is reported, not silently dropped. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    clearTimeout(this.timer);
    if (this.behind.size > 0) this.deps.logger?.error({ keepalives: this.behind.size }, 'keepalives not recorded at shutdown: the store refused them');
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.waiting.size > 0) {
      // Even after close: a caller that waits must get an answer or an error, never silence.
      if (this.immediate) return;
      this.immediate = true;
      // Keepalives that arrive in the same turn of the event loop share one write.
      setImmediate(() => {
        this.immediate = false;
        void this.startFlush();
      });
      return;
    }
    if (this.closed || this.behind.size === 0 || this.timer) return;
    // Nobody waits for these, so they gather for a while: fewer, larger writes. After a failure, the
    // pause is longer, so a broken store is not hammered.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.startFlush();
      },
      this.failing ? RETRY_MS : WRITE_BEHIND_MS,
    ).unref();
  }

  private startFlush(): Promise<void> {
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
      this.schedule();
    });
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const waiting = take(this.waiting, this.options.maxBatch);
    const behind = take(this.behind, this.options.maxBatch);
    await Promise.all([this.writeWaiting(waiting), this.writeBehind(behind)]);
  }

  private async writeWaiting(batch: Map<string, Waiting>): Promise<void> {
    if (batch.size === 0) return;
    const ids = [...batch.keys()];
    let rows: Stack[] = [];
    this.counts.writes++;
    this.deps.cache.beginRead(ids);
    try {
      rows = await this.deps.store.touchReady(ids, [...batch.values()].map((w) => w.at));
      this.failing = false;
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, entry] of batch) for (const w of entry.waiters) w.resolve(byId.get(id) ?? null);
    } catch (error) {
      for (const entry of batch.values()) for (const w of entry.waiters) w.reject(error);
    } finally {
      this.deps.cache.endRead(ids, rows);
    }
  }

  private async writeBehind(batch: Map<string, Activity>): Promise<void> {
    if (batch.size === 0) return;
    let written: Set<string>;
    this.counts.writes++;
    try {
      written = new Set(await this.deps.store.recordActivity([...batch.keys()], [...batch.values()].map((a) => a.at)));
    } catch (error) {
      this.failing = true;
      for (const [id, activity] of batch) {
        const newer = this.behind.get(id);
        if (!newer || newer.at < activity.at) this.behind.set(id, activity);
      }
      this.deps.logger?.warn({ err: error, keepalives: batch.size }, 'recording activity failed; it is retried, and keepalives wait for the store until a write succeeds');
      return;
    }
    this.failing = false;
    for (const [id, activity] of batch) {
      if (written.has(id)) continue;
      this.deps.cache.forget(id);
      const followUp = this.deps
        .notReady(id, activity.at, activity.actor)
        .catch((error: unknown) => this.deps.logger?.warn({ err: error, stack: id }, 'a keepalive for a stack that stopped being READY failed'))
        .finally(() => this.followUps.delete(followUp));
      this.followUps.add(followUp);
    }
  }
}

/** Removes and returns up to `limit` entries, oldest first. */
function take<T>(from: Map<string, T>, limit: number): Map<string, T> {
  const batch = new Map<string, T>();
  for (const [id, value] of from) {
    if (batch.size >= limit) break;
    batch.set(id, value);
    from.delete(id);
  }
  return batch;
}
