/**
 * Prometheus counters of billed and learning hours (docs/cost.md), computed like the cost report from the
 * stack histories (domain/billing.ts): when a scrape comes, the segments (running, suspended, shelved)
 * that closed since the last scrape are added whole, by lab, provider and billed state, and the learning
 * time of the running ones. A process counts what closed after it started, across the deployment (the
 * histories are shared): scrape one process, or take the max over several, not the sum.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { segments, type HistoryEntry } from '../domain/billing.ts';
import type { Queryable } from '../db/database.ts';
import { UsageStore } from '../db/usage-store.ts';
import { counter } from '../infra/metrics.ts';

/** Stacks read per scrape; the rest are counted at the next one. */
const BATCH = 5000;

export interface UsageMeter {
  /** Counts the segments closed since the last call (a scrape calls it). */
  update(): Promise<void>;
}

export function measureUsage(deps: { db: Queryable; registry: Registry; logger: Logger; now: () => Date }): UsageMeter {
  const store = new UsageStore(deps.db);
  let cursor: number | null = null;
  let running: Promise<void> | null = null;

  const billed = counter(deps.registry, {
    name: 'stacklab_billed_hours_total',
    help: 'Hours billed by the clouds, by lab, provider and billed state (running, suspended, shelved), counted when each interval ends (docs/cost.md)',
    labelNames: ['lab', 'provider', 'state'],
    collect: () => meter.update(),
  });
  const learning = counter(deps.registry, {
    name: 'stacklab_learning_hours_total',
    help: 'Running hours up to the last learner activity before each suspend, by lab and provider, counted when each running interval ends (docs/cost.md)',
    labelNames: ['lab', 'provider'],
  });

  async function pass(): Promise<void> {
    if (cursor === null) {
      cursor = await store.lastEventId();
      return;
    }
    const changed = await store.changedSince(cursor, BATCH);
    if (changed.length === 0) return;
    const histories = await store.histories(changed.map((s) => s.id));
    const from = cursor;
    for (const stack of changed) {
      const history = histories.get(stack.id) ?? [];
      const lastAt = history.at(-1)?.at ?? deps.now();
      const before = history.filter((e) => (e.id ?? 0) <= from);
      const closedBefore = closedCount(before);
      const labels = { lab: stack.lab, provider: stack.provider ?? 'none' };
      for (const s of segments(history, lastAt).filter((seg) => !seg.open).slice(closedBefore)) {
        billed.inc({ ...labels, state: s.billed }, (s.end.getTime() - s.start.getTime()) / 3_600_000);
        if (s.billed === 'running') learning.inc(labels, (s.learningEnd.getTime() - s.start.getTime()) / 3_600_000);
      }
      cursor = Math.max(cursor ?? 0, stack.lastId);
    }
  }

  const meter: UsageMeter = {
    update() {
      running ??= pass()
        .catch((err: unknown) => deps.logger.warn({ err }, 'could not count billed hours; they are counted at the next scrape'))
        .finally(() => (running = null));
      return running;
    },
  };
  return meter;
}

/** How many segments of a history prefix were already closed (the last one of a prefix may be open). */
function closedCount(history: HistoryEntry[]): number {
  const last = history.at(-1);
  return last ? segments(history, last.at).filter((s) => !s.open).length : 0;
}
