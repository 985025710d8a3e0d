/**
 * A counting semaphore: at most `limit` tasks run at once, the rest wait in arrival order.
 * One per cloud (see CloudLimiters), so a burst of launches cannot open hundreds of connections to
 * Heat at once.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  }

  get limit(): number {
    return this.max;
  }

  /** Lowers the limit (never raises it): the strictest of the entries that share a cloud wins. */
  lowerTo(limit: number): void {
    if (Number.isInteger(limit) && limit >= 1 && limit < this.max) this.max = limit;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter so a newcomer cannot overtake the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * The limiters of the clouds the configured providers talk to, by Keystone URL and region: two provider
 * entries for the same cloud (say, one per template or project) share one limit, since they load the
 * same Heat API.
 */
export class CloudLimiters {
  private readonly byCloud = new Map<string, ConcurrencyLimiter>();

  forCloud(authUrl: string, region: string | undefined, limit: number): ConcurrencyLimiter {
    const key = `${authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}|${region ?? ''}`;
    const existing = this.byCloud.get(key);
    if (existing) {
      existing.lowerTo(limit);
      return existing;
    }
    const limiter = new ConcurrencyLimiter(limit);
    this.byCloud.set(key, limiter);
    return limiter;
  }
}
