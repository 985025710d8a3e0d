/**
 * How long waking a shelved lab takes, for the learner's page: the median of the last wake-ups on the
 * same provider, as this deployment's own history recorded them (StackStore.recentWakeSeconds), once there
 * are enough of them; until then the provider's configured estimate (`unshelve_estimate_seconds`). Kept
 * for a minute per provider, since a page being woken asks every second or two.
 */
import type { StackStore } from '../db/stack-store.ts';

/** Wake-ups needed before the measured median replaces the configured estimate. */
export const MIN_SAMPLES = 3;
const SAMPLES = 20;
const TTL_MS = 60_000;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class WakeEstimates {
  private readonly cache = new Map<string, { seconds: number | null; until: number }>();

  constructor(
    private readonly store: Pick<StackStore, 'recentWakeSeconds'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds a wake-up from shelved takes on `provider`: measured when possible, else `configured` (0: unknown). */
  async estimate(provider: string, configured: number): Promise<number> {
    const cached = this.cache.get(provider);
    let measured: number | null;
    if (cached && cached.until > this.now()) measured = cached.seconds;
    else {
      const samples = await this.store.recentWakeSeconds(provider, SAMPLES);
      measured = samples.length >= MIN_SAMPLES ? Math.max(1, Math.round(median(samples))) : null;
      this.cache.set(provider, { seconds: measured, until: this.now() + TTL_MS });
    }
    return measured ?? configured;
  }
}
