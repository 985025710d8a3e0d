/**
 * Where a cost replay's time goes (STACKLAB_COST_PHASES=1): wall time per phase of the replay, how
 * often each ran, and the store statements sent in each (the replay mostly waits on its store, so the
 * statements and the chains of them are what to shorten). Off, it measures nothing.
 */
import type { Database, Queryable } from '../src/db/database.ts';

export interface Phases {
  /** Ends the phase running since the last lap and names it. */
  lap(name: string): void;
  report(label: string): string;
}

export function phases(db: Database, setting = process.env.STACKLAB_COST_PHASES): Phases {
  if (setting !== '1' && setting !== 'sql') return { lap: () => {}, report: () => '' };
  // STACKLAB_COST_PHASES=sql also counts the statements by their text.
  const texts = setting === 'sql' ? new Map<string, number>() : null;
  const table = new Map<string, { n: number; ms: number; statements: number }>();
  let last = performance.now();
  let statements = 0;
  // Every statement, whether on the pool or in a transaction, goes through a query method.
  const counted = (q: Queryable): Queryable['query'] => {
    const query = q.query.bind(q);
    return (sql, params, options) => {
      statements++;
      if (texts) {
        // Long column lists cut short, so the text shows which rows it reads.
        const text = sql.replace(/\s+/g, ' ').trim().replace(/^SELECT (.{60}).*? FROM /, 'SELECT $1… FROM ').slice(0, 150);
        texts.set(text, (texts.get(text) ?? 0) + 1);
      }
      return query(sql, params, options);
    };
  };
  db.query = counted(db);
  const transaction = db.transaction.bind(db);
  db.transaction = (fn) => transaction((tx) => fn({ query: counted(tx) }));
  return {
    lap(name) {
      const now = performance.now();
      const row = table.get(name) ?? { n: 0, ms: 0, statements: 0 };
      row.n++;
      row.ms += now - last;
      row.statements += statements;
      table.set(name, row);
      last = now;
      statements = 0;
    },
    report(label) {
      const rows = [...table].sort((a, b) => b[1].ms - a[1].ms);
      const lines = rows.map(([name, r]) => `${label} ${name}: ${r.n} x ${(r.ms / r.n).toFixed(1)} ms = ${(r.ms / 1000).toFixed(1)} s, ${r.statements} statements`);
      if (texts) for (const [text, n] of [...texts].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`${label} ${n} x ${text}`);
      return lines.join('\n');
    },
  };
}
