/**
 * How many store round trips an action waits for one after another: its latency on a loaded machine,
 * where each round trip costs a few milliseconds of scheduling whatever the statement does. Statements
 * the action sends side by side count once.
 *
 * `roundTrips` holds the database's statements back and lets them go in waves: every statement sent
 * while the previous wave ran joins the next one, so the number of waves is the length of the action's
 * longest chain of statements that each waited for the one before. Deterministic: no timing is measured.
 */
import type { Database, Queryable, QueryOptions } from '../../src/db/database.ts';

interface Held {
  release(): void;
}

/**
 * Patches `db` in place (the stores hold the object, so they see the patch) and returns a counter. Outside
 * `count`, statements pass straight through.
 */
export function roundTrips(db: Database): { count<T>(action: () => Promise<T>): Promise<{ result: T; waves: number }> } {
  const query = db.query.bind(db);
  const transaction = db.transaction.bind(db);
  let holding: Held[] | null = null;
  let running = 0;
  const gated = <T>(run: () => Promise<T>): Promise<T> => {
    const queue = holding;
    if (!queue) return run();
    return new Promise<T>((resolve, reject) => {
      queue.push({
        release: () => {
          running++;
          run()
            .then(resolve, reject)
            .finally(() => running--);
        },
      });
    });
  };
  db.query = <R>(sql: string, params?: unknown[], options?: QueryOptions) => gated(() => query<R>(sql, params, options));
  // A transaction is one unit here: its statements wait for each other by nature, and it counts once.
  db.transaction = <T>(fn: (tx: Queryable) => Promise<T>) => gated(() => transaction(fn));

  return {
    async count<T>(action: () => Promise<T>) {
      const queue: Held[] = [];
      holding = queue;
      let done = false;
      const outcome = action().finally(() => {
        done = true;
      });
      outcome.catch(() => undefined);
      let waves = 0;
      try {
        for (;;) {
          // Everything the last wave set off has settled once no statement runs and the event loop has
          // turned (the continuations between statements are promise callbacks, run before setImmediate).
          while (running > 0) await new Promise((resolve) => setImmediate(resolve));
          await new Promise((resolve) => setImmediate(resolve));
          if (running > 0) continue;
          if (queue.length === 0) {
            if (done) break;
            // Waiting on something other than the store (a timer, the provider): let it run.
            await new Promise((resolve) => setTimeout(resolve, 1));
            continue;
          }
          waves++;
          for (const held of queue.splice(0)) held.release();
        }
      } finally {
        holding = null;
      }
      return { result: await outcome, waves };
    },
  };
}
