/**
 * One job that runs again and again: every `everyMs`, never two passes of it at once in one process,
 * sooner when poked (new work arrived here). A failed pass is logged and the next one comes as usual.
 * Jobs that several processes run at once must be safe for that themselves (claims, locks): this
 * class only paces them.
 */
import type { Logger } from 'pino';

export interface PeriodicJob {
  name: string;
  everyMs: number;
  /** Run a first pass at start instead of after the first interval. */
  runAtStart?: boolean;
  run(): Promise<unknown>;
}

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;

  constructor(
    readonly job: PeriodicJob,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(this.job.runAtStart ? 0 : this.job.everyMs);
  }

  /** Runs a pass soon: now when idle, right after the current one when busy. */
  poke(): void {
    if (!this.started) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops the timer and waits for the pass in flight, so nothing runs after the store closes. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass();
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    try {
      await this.job.run();
    } catch (error) {
      this.logger.error({ err: error }, `${this.job.name} failed: ${(error as Error).message}`);
    } finally {
      this.running = undefined;
      const next = this.again ? 0 : this.job.everyMs;
      this.again = false;
      this.schedule(next);
    }
  }
}
