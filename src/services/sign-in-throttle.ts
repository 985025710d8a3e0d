/**
 * Brute-force throttling of console sign-ins: after `maxFailures` failed attempts within `windowMs` for
 * one operator name, or from one client address, further attempts for it are refused until the oldest of
 * those failures leaves the window. Counting both keys stops one address guessing many names and many
 * addresses guessing one name. A success clears the name's count.
 *
 * Kept in this process's memory: with several server processes behind a balancer each counts on its own,
 * so the effective limit is maxFailures per process (docs/console.md says so). The scrypt cost per
 * attempt bounds the rate further.
 */
export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  /** Keys kept at most (oldest dropped first), so a flood of made-up names cannot exhaust memory. */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 5, windowMs: 15 * 60_000, maxKeys: 10_000 };

export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Milliseconds until an attempt for these keys may be made, 0 when it may be made now. */
  waitMs(keys: string[], now: number): number {
    let wait = 0;
    for (const key of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= this.options.maxFailures) wait = Math.max(wait, recent[recent.length - this.options.maxFailures] + this.options.windowMs - now);
    }
    return wait;
  }

  failed(keys: string[], now: number): void {
    for (const key of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.failures.delete(key);
      this.failures.set(key, recent.slice(-this.options.maxFailures));
    }
    while (this.failures.size > this.options.maxKeys) this.failures.delete(this.failures.keys().next().value as string);
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => at > now - this.options.windowMs);
  }
}
