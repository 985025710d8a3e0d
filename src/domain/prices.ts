/**
 * What a provider's cloud charges, from the `prices` setting (docs/cost.md): per stack-hour, or per
 * server-hour by flavor, each with a price for running, suspended and shelved time. Many OpenStack clouds
 * bill a suspended server like a running one (it keeps its place on the hypervisor), so a suspended price
 * that is not given is the running one; a shelved price that is not given is 0. Pure.
 */
import { z } from 'zod';
import type { BilledClass, UsageSeconds } from './billing.ts';

const price = z.number().min(0);

export const classPricesSchema = z
  .strictObject({ running: price, suspended: price.optional(), shelved: price.optional() })
  .transform((p) => ({ running: p.running, suspended: p.suspended ?? p.running, shelved: p.shelved ?? 0 }));

export type ClassPrices = Record<BilledClass, number>;

export const providerPricesSchema = z.discriminatedUnion('per', [
  z.strictObject({ per: z.literal('stack-hour'), currency: z.string().min(1).default('USD'), stack: classPricesSchema }),
  z.strictObject({ per: z.literal('server-hour'), currency: z.string().min(1).default('USD'), flavors: z.record(z.string().min(1), classPricesSchema) }),
]);

export type ProviderPrices = z.output<typeof providerPricesSchema>;

/** Prices by provider name. */
export const pricesSchema = z.record(z.string().min(1), providerPricesSchema);
export type Prices = z.output<typeof pricesSchema>;

/**
 * Why a stack has no price, as data: the cost report says it in its reader's language (`report.problem.*`
 * in locales/), and in English in its JSON.
 */
export type PriceProblem =
  | { kind: 'noPrices' }
  | { kind: 'neverProvided' }
  | { kind: 'labNotLoaded'; lab: string }
  | { kind: 'noProviderPrices'; provider: string }
  | { kind: 'unpricedFlavors'; provider: string; flavors: string }
  | { kind: 'noFlavors'; provider: string };

/** A stack's hourly price on one provider, or why there is none. */
export type StackHourPrice = { ok: true; currency: string; perHour: ClassPrices } | { ok: false; problem: PriceProblem };

/**
 * The price of one hour of a stack whose servers have `flavors` (one entry per server) on `provider`.
 * Per server-hour, each server's flavor must be priced; an unpriced one makes the stack's price unknown
 * (the report says which) rather than silently cheaper.
 */
export function stackHourPrice(prices: Prices, provider: string, flavors: readonly string[]): StackHourPrice {
  const entry = prices[provider];
  if (!entry) return { ok: false, problem: { kind: 'noProviderPrices', provider } };
  if (entry.per === 'stack-hour') return { ok: true, currency: entry.currency, perHour: entry.stack };
  const perHour: ClassPrices = { running: 0, suspended: 0, shelved: 0 };
  const unknown = [...new Set(flavors.filter((f) => !entry.flavors[f]))];
  if (unknown.length) return { ok: false, problem: { kind: 'unpricedFlavors', provider, flavors: unknown.join(', ') } };
  if (flavors.length === 0) return { ok: false, problem: { kind: 'noFlavors', provider } };
  for (const flavor of flavors) for (const c of ['running', 'suspended', 'shelved'] as const) perHour[c] += entry.flavors[flavor][c];
  return { ok: true, currency: entry.currency, perHour };
}

/** The cost of `usage` at `perHour`, and of the same stack's always-on running time. */
export function costOf(usage: Pick<UsageSeconds, BilledClass>, perHour: ClassPrices): number {
  return (usage.running * perHour.running + usage.suspended * perHour.suspended + usage.shelved * perHour.shelved) / 3600;
}
