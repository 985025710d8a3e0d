/**
 * What the console's providers, labs and live-counts panels show (docs/console.md), computed from the
 * store and the loaded configuration. A provider's health is judged from what it did, not from a probe:
 * the operations that finished in the last hour (its stacks reaching a settled state, or failing).
 */
import type { Queryable } from '../db/database.ts';
import { CONSOLE_SORTS, ConsoleQueries, gradesFor, type ConsoleFilter, type ConsolePage, type ConsoleSort, type GradeRow } from '../db/console-queries.ts';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { StackState } from '../domain/states.ts';
import type { Clock } from '../infra/clock.ts';
import type { ProviderRegistry } from '../providers/provider-registry.ts';

export type { ConsoleSort };
export const CONSOLE_SORT_NAMES = Object.keys(CONSOLE_SORTS) as ConsoleSort[];

/** The console's reads of the stacks, for http/ (which does not reach into db/ itself). */
export class ConsoleReads {
  private readonly queries: ConsoleQueries;
  constructor(private readonly db: Queryable) {
    this.queries = new ConsoleQueries(db);
  }

  /** Throws a RangeError saying what is wrong when the cursor is not one the list gave out. */
  list(filter: ConsoleFilter): Promise<ConsolePage> {
    return this.queries.list(filter);
  }

  grades(key: { learner: string; context: string; lab: string }): Promise<GradeRow[]> {
    return gradesFor(this.db, key);
  }
}

export const HEALTH_WINDOW_MS = 3_600_000;
export const FAILURE_WINDOW_MS = 24 * HEALTH_WINDOW_MS;

export type ProviderHealth = 'ok' | 'degraded' | 'failing' | 'idle';

export interface ProviderPanel {
  name: string;
  kind: string;
  health: ProviderHealth;
  /** Stacks holding a place on the provider. */
  used: number;
  /** The largest capacity a loaded lab gives it; null = unlimited. */
  capacity: number | null;
  /** Places left; null = unlimited. */
  left: number | null;
  failures: { code: string; count: number; last: Date }[];
}

export interface LiveCounts {
  running: number;
  suspended: number;
  launching: number;
  failed: number;
  byState: Record<string, number>;
}

const GROUPS: Record<Exclude<keyof LiveCounts, 'byState'>, (state: StackState) => boolean> = {
  running: (s) => s === 'READY',
  suspended: (s) => s === 'SUSPENDED' || s === 'SHELVED',
  launching: (s) => s === 'LAUNCH_PENDING' || s === 'CREATING',
  failed: (s) => s.endsWith('_FAILED'),
};

/** Groups the per-state counts into the four the console shows, keeping the detail. */
export function liveCounts(byState: Record<string, number>): LiveCounts {
  const counts: LiveCounts = { running: 0, suspended: 0, launching: 0, failed: 0, byState };
  for (const [state, n] of Object.entries(byState)) {
    for (const [group, test] of Object.entries(GROUPS)) if (test(state as StackState)) counts[group as keyof typeof GROUPS] += n;
  }
  return counts;
}

/** Health from the last hour: no failure = ok, failures among successes = degraded, only failures = failing. */
export function healthOf(succeeded: number, failed: number): ProviderHealth {
  if (failed === 0) return succeeded === 0 ? 'idle' : 'ok';
  return succeeded === 0 ? 'failing' : 'degraded';
}

export async function providerPanels(ctx: { db: Queryable; providers: ProviderRegistry; labs: LabCatalog; clock: Clock }): Promise<ProviderPanel[]> {
  const queries = new ConsoleQueries(ctx.db);
  const now = ctx.clock.now().getTime();
  const [used, failures, outcomes] = await Promise.all([
    queries.usedByProvider(),
    queries.failuresSince(new Date(now - FAILURE_WINDOW_MS)),
    ctx.db.query<{ provider: string; failed: number; succeeded: number }>(
      `SELECT s.provider,
              count(*) FILTER (WHERE e.to_state LIKE '%FAILED')::int AS failed,
              count(*) FILTER (WHERE e.to_state NOT LIKE '%FAILED')::int AS succeeded
         FROM stack_events e JOIN stacks s ON s.id = e.stack_id
        WHERE e.at >= $1 AND e.kind = 'transition' AND s.provider IS NOT NULL
          AND e.from_state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING', 'SHELVING', 'UNSHELVING')
        GROUP BY s.provider`,
      [new Date(now - HEALTH_WINDOW_MS)],
    ),
  ]);
  const capacities = new Map<string, number>();
  for (const lab of ctx.labs.list()) {
    for (const entry of lab.providers) {
      const seen = capacities.get(entry.name);
      // -1 = unlimited wins over any number; otherwise the largest a lab allows.
      capacities.set(entry.name, seen === -1 || entry.capacity === -1 ? -1 : Math.max(seen ?? 0, entry.capacity));
    }
  }
  return ctx.providers.list().map((p) => {
    const capacity = capacities.get(p.name);
    const unlimited = capacity === undefined || capacity < 0;
    const outcome = outcomes.find((o) => o.provider === p.name);
    const inUse = used[p.name] ?? 0;
    return {
      name: p.name,
      kind: p.kind,
      health: healthOf(outcome?.succeeded ?? 0, outcome?.failed ?? 0),
      used: inUse,
      capacity: unlimited ? null : capacity,
      left: unlimited ? null : Math.max(0, capacity - inUse),
      failures: failures.filter((f) => f.provider === p.name).map(({ code, count, last }) => ({ code, count, last })),
    };
  });
}

export function labPanels(ctx: { labs: LabCatalog; labErrors: { file: string; message: string; waitingForProvider?: unknown }[] }) {
  return {
    loaded: ctx.labs.list().map((lab) => ({ id: lab.id, title: lab.title, protocol: lab.protocol, providers: lab.providers.map((p) => p.name) })),
    failed: ctx.labErrors.map((e) => ({ file: e.file, reason: e.message, waitingForProvider: Boolean(e.waitingForProvider) })),
  };
}
