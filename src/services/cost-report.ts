/**
 * The cost report (docs/cost.md): per course, lab, learner and month, the learning hours, the billed
 * hours (running, suspended, shelved), their cost at the provider's prices, and the saving against the
 * same labs left running (always-on). Computed from the stack histories by domain/billing.ts, priced by
 * domain/prices.ts; http/ and cli/ only present it (JSON, CSV, the HTML page).
 */
import type { LabCatalog } from '../domain/lab-catalog.ts';
import { isPoolLearner, POOL_LEARNER_LABEL } from '../domain/pool.ts';
import { alwaysOnSeconds, segments, usageSeconds, type Segment, type UsageSeconds, type Window } from '../domain/billing.ts';
import { costOf, stackHourPrice, type PriceProblem, type Prices, type StackHourPrice } from '../domain/prices.ts';
import type { Queryable } from '../db/database.ts';
import { UsageStore, type BilledStack } from '../db/usage-store.ts';
import { AppError } from '../errors/api-errors.ts';
import { inEnglish, sentence, type Sentence } from '../errors/sentence.ts';
import { serverFlavors } from '../templates/server-flavors.ts';

export interface CostReportQuery {
  context?: string;
  lab?: string;
  learner?: string;
  /** First and last month, `YYYY-MM` (UTC); default: the month of `now`. */
  from?: string;
  to?: string;
}

/** Hours and money of one group (a stack in a month, a course, a lab, everything). */
export interface CostFigures {
  stacks: number;
  learningHours: number;
  billedHours: { running: number; suspended: number; shelved: number; total: number };
  /** What always-on would have billed: the stacks running from their launch to their deletion. */
  alwaysOnHours: number;
  /** Null when a stack in the group has no price (see `priceProblems`). */
  cost: number | null;
  alwaysOnCost: number | null;
  saving: number | null;
  /** Billed hours per learning hour (null without learning). */
  billedPerLearningHour: number | null;
}

export interface CostRow extends CostFigures {
  month: string;
  context: string;
  lab: string;
  learner: string;
  provider: string | null;
}

export interface CostReport {
  from: string;
  to: string;
  generatedAt: string;
  /** One currency when all priced providers use one; else the first and a problem says so. */
  currency: string | null;
  rows: CostRow[];
  byCourse: Array<CostFigures & { context: string }>;
  byLab: Array<CostFigures & { lab: string }>;
  total: CostFigures;
  /** Average running stacks per hour of the window, for the plot. */
  runningStacks: Array<{ at: string; stacks: number }>;
  /** Why some costs are unknown (a provider or flavor without a price), once each, in English. */
  priceProblems: string[];
  /** The same, as catalogue sentences (`report.problem.*`), for the page in its reader's language. */
  priceProblemsSaid: Sentence[];
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const HOUR = 3600;

export class CostReports {
  private readonly store: UsageStore;
  private readonly flavorCache = new Map<string, string[]>();

  constructor(private readonly deps: { db: Queryable; labs: LabCatalog; prices: Prices | undefined }) {
    this.store = new UsageStore(deps.db);
  }

  async report(query: CostReportQuery, now: Date): Promise<CostReport> {
    const months = monthsOf(query, now);
    const window: Window = { from: months[0].from, to: months[months.length - 1].to };
    const until = window.to < now ? window.to : now;
    const stacks = await this.store.billedStacks({ context: query.context, lab: query.lab, learner: query.learner, createdBefore: window.to });
    const histories = await this.store.histories(stacks.map((s) => s.id), until);
    // By their English text, so each is said once.
    const problems = new Map<string, Sentence>();
    const problem = (said: Sentence) => problems.set(inEnglish(said), said);
    const currencies = new Set<string>();
    const rows: CostRow[] = [];
    const runningBuckets = new Array<number>(Math.ceil((until.getTime() - window.from.getTime()) / (HOUR * 1000)) || 0).fill(0);
    for (const stack of stacks) {
      const segs = segments(histories.get(stack.id) ?? [], until, stack.lastActivityAt);
      if (segs.length === 0) continue;
      addRunning(runningBuckets, segs, window.from);
      const price = this.priceOf(stack);
      if (price.ok) currencies.add(price.currency);
      else problem(problemSentence(price.problem));
      for (const month of months) {
        for (const part of ownersOf(stack, month)) {
          const usage = usageSeconds(segs, part.window);
          const alwaysOn = alwaysOnSeconds(segs, part.window);
          if (usage.running + usage.suspended + usage.shelved === 0) continue;
          rows.push({ month: month.name, context: part.context, lab: stack.lab, learner: part.learner, provider: stack.provider, ...figures({ usage, alwaysOn, price }) });
        }
      }
    }
    const [currency] = currencies;
    if (currencies.size > 1) problem(sentence('report.problem.currencies', { currencies: [...currencies].join(', ') }));
    return {
      from: months[0].name,
      to: months[months.length - 1].name,
      generatedAt: now.toISOString(),
      currency: currency ?? null,
      rows,
      byCourse: groupBy(rows, 'context').map(([context, f]) => ({ context, ...f })),
      byLab: groupBy(rows, 'lab').map(([lab, f]) => ({ lab, ...f })),
      total: sum(rows),
      runningStacks: runningBuckets.map((seconds, i) => ({ at: new Date(window.from.getTime() + i * HOUR * 1000).toISOString(), stacks: round(seconds / HOUR, 3) })),
      priceProblems: [...problems.keys()],
      priceProblemsSaid: [...problems.values()],
    };
  }

  /** The stack's hourly price from its provider's prices and its lab's servers; cached per lab and provider. */
  private priceOf(stack: BilledStack): StackHourPrice {
    const prices = this.deps.prices;
    if (!prices) return { ok: false, problem: { kind: 'noPrices' } };
    if (!stack.provider) return { ok: false, problem: { kind: 'neverProvided' } };
    const key = `${stack.lab}\u0000${stack.provider}`;
    let flavors = this.flavorCache.get(key);
    if (!flavors) {
      const lab = this.deps.labs.get(stack.lab);
      const template = lab?.providers.find((p) => p.name === stack.provider)?.template ?? lab?.template;
      if (prices[stack.provider]?.per === 'server-hour' && !template) return { ok: false, problem: { kind: 'labNotLoaded', lab: stack.lab } };
      flavors = template ? safeFlavors(template, lab?.parameters ?? {}) : [];
      this.flavorCache.set(key, flavors);
    }
    return stackHourPrice(prices, stack.provider, flavors);
  }
}

/** Why a stack has no price, as the catalogue says it. */
function problemSentence(problem: PriceProblem): Sentence {
  const { kind, ...values } = problem;
  return sentence(`report.problem.${kind}`, values);
}

function safeFlavors(template: string, parameters: Record<string, unknown>): string[] {
  try {
    return serverFlavors(template, parameters);
  } catch {
    return ['unknown'];
  }
}

interface Priced {
  usage: UsageSeconds;
  alwaysOn: number;
  price: StackHourPrice;
}

/** One stack's figures for one month (groups and totals add rows up: sum()). */
function figures({ usage, alwaysOn, price }: Priced): CostFigures {
  const cost = price.ok ? costOf(usage, price.perHour) : null;
  const alwaysOnCost = price.ok ? (alwaysOn * price.perHour.running) / HOUR : null;
  const billed = usage.running + usage.suspended + usage.shelved;
  return {
    stacks: 1,
    learningHours: round(usage.learning / HOUR),
    billedHours: { running: round(usage.running / HOUR), suspended: round(usage.suspended / HOUR), shelved: round(usage.shelved / HOUR), total: round(billed / HOUR) },
    alwaysOnHours: round(alwaysOn / HOUR),
    cost: cost === null ? null : round(cost),
    alwaysOnCost: alwaysOnCost === null ? null : round(alwaysOnCost),
    saving: cost === null || alwaysOnCost === null ? null : round(alwaysOnCost - cost),
    billedPerLearningHour: usage.learning > 0 ? round(billed / usage.learning) : null,
  };
}

/** Sums rows (already priced) into one group's figures. */
function sum(rows: CostRow[]): CostFigures {
  const known = rows.every((r) => r.cost !== null);
  const add = (pick: (r: CostRow) => number) => rows.reduce((total, r) => total + pick(r), 0);
  const learning = add((r) => r.learningHours);
  const total = add((r) => r.billedHours.total);
  return {
    stacks: new Set(rows.map((r) => `${r.context}\u0000${r.lab}\u0000${r.learner}`)).size,
    learningHours: round(learning),
    billedHours: { running: round(add((r) => r.billedHours.running)), suspended: round(add((r) => r.billedHours.suspended)), shelved: round(add((r) => r.billedHours.shelved)), total: round(total) },
    alwaysOnHours: round(add((r) => r.alwaysOnHours)),
    cost: known ? round(add((r) => r.cost ?? 0)) : null,
    alwaysOnCost: known ? round(add((r) => r.alwaysOnCost ?? 0)) : null,
    saving: known ? round(add((r) => r.saving ?? 0)) : null,
    billedPerLearningHour: learning > 0 ? round(total / learning) : null,
  };
}

function groupBy(rows: CostRow[], key: 'context' | 'lab'): Array<[string, CostFigures]> {
  const groups = new Map<string, CostRow[]>();
  for (const row of rows) {
    const group = groups.get(row[key]);
    if (group) group.push(row);
    else groups.set(row[key], [row]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => [name, sum(members)]);
}

function addRunning(buckets: number[], segs: Segment[], from: Date): void {
  for (const s of segs) {
    if (s.billed !== 'running') continue;
    for (let i = Math.max(0, Math.floor((s.start.getTime() - from.getTime()) / (HOUR * 1000))); i < buckets.length; i++) {
      const bucketStart = from.getTime() + i * HOUR * 1000;
      if (bucketStart >= s.end.getTime()) break;
      const overlap = Math.min(s.end.getTime(), bucketStart + HOUR * 1000) - Math.max(s.start.getTime(), bucketStart);
      if (overlap > 0) buckets[i] += overlap / 1000;
    }
  }
}

/** The months of the query, each a window [first day, first day of the next month) in UTC. */
export function monthsOf(query: Pick<CostReportQuery, 'from' | 'to'>, now: Date): Array<Window & { name: string }> {
  const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const from = query.from ?? query.to ?? current;
  const to = query.to ?? from;
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (!MONTH.test(value)) throw AppError.badInput(`${name} must be a month as YYYY-MM (like ${current}), not '${value}'`);
  }
  const start = monthStart(from);
  const end = monthStart(to);
  if (end < start) throw AppError.badInput(`to (${to}) is before from (${from})`);
  const months: Array<Window & { name: string }> = [];
  for (let at = start; at <= end; at = nextMonth(at)) {
    if (months.length >= 36) throw AppError.badInput('a report covers at most 36 months; ask for a shorter range');
    months.push({ name: at.toISOString().slice(0, 7), from: at, to: nextMonth(at) });
  }
  return months;
}

function monthStart(month: string): Date {
  return new Date(`${month}-01T00:00:00Z`);
}

function nextMonth(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

/**
 * Who a stack's time in `month` is billed to: its learner, except the time a warm-pool stack spent
 * in the pool (before its claim, or all of it while unclaimed), which is the pool's (learner `pool`,
 * no course: a pool serves the lab). docs/pools.md.
 */
function ownersOf(stack: BilledStack, month: Window): Array<{ learner: string; context: string; window: Window }> {
  const pooled = { learner: POOL_LEARNER_LABEL, context: '' };
  if (isPoolLearner(stack.learner)) return [{ ...pooled, window: month }];
  const claimed = stack.claimedAt;
  if (!claimed || claimed <= month.from) return [{ learner: stack.learner, context: stack.context, window: month }];
  if (claimed >= month.to) return [{ ...pooled, window: month }];
  return [
    { ...pooled, window: { from: month.from, to: claimed } },
    { learner: stack.learner, context: stack.context, window: { from: claimed, to: month.to } },
  ];
}

function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
