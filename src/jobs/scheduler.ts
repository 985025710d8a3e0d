/**
 * Runs the sweeps on their intervals. Timers set the cadence; `now` comes from the injected clock, so
 * tests call `runAll()` with a manual clock instead of waiting.
 */
import type { Logger } from 'pino';
import type { ProviderRegistry } from '../app/context.ts';
import type { StackStore } from '../db/stack-store.ts';
import type { Clock } from '../services/clock.ts';
import { reaper, reconciler, suspender, watchdog, type SweepSettings, type SweepStats } from '../services/sweeps.ts';

export interface ScheduleSettings extends SweepSettings {
  suspenderSeconds: number;
  reaperSeconds: number;
  reconcilerSeconds: number;
  watchdogSeconds: number;
  reconcileGraceSeconds: number;
}

export class Scheduler {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: { store: StackStore; providers: ProviderRegistry; clock: Clock; logger: Logger; settings: ScheduleSettings; onWork?: () => void },
  ) {}

  readonly sweeps = {
    suspender: () => suspender(this.deps.store, this.deps.clock.now(), this.deps.settings),
    reaper: () => reaper(this.deps.store, this.deps.clock.now(), this.deps.settings),
    watchdog: () => watchdog(this.deps.store, this.deps.clock.now(), this.deps.settings),
    reconciler: () => reconciler(this.deps, this.deps.clock.now(), this.deps.settings.reconcileGraceSeconds),
  };

  async run(name: keyof Scheduler['sweeps']): Promise<SweepStats> {
    const stats = await this.sweeps[name]();
    if (stats.acted || stats.errors.length) this.deps.logger.info(stats, `sweep ${name}`);
    if (stats.acted) this.deps.onWork?.();
    return stats;
  }

  async runAll(): Promise<SweepStats[]> {
    const out: SweepStats[] = [];
    for (const name of ['watchdog', 'suspender', 'reaper', 'reconciler'] as const) out.push(await this.run(name));
    return out;
  }

  start(): void {
    const every = (name: keyof Scheduler['sweeps'], seconds: number) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        this.run(name)
          .catch((error) => this.deps.logger.error({ err: error }, `sweep ${name} failed`))
          .finally(() => (busy = false));
      }, seconds * 1000);
      timer.unref();
      this.timers.push(timer);
    };
    every('suspender', this.deps.settings.suspenderSeconds);
    every('reaper', this.deps.settings.reaperSeconds);
    every('reconciler', this.deps.settings.reconcilerSeconds);
    every('watchdog', this.deps.settings.watchdogSeconds);
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }
}
