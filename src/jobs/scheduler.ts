/**
 * Runs the periodic jobs: the lifecycle sweeps on their intervals, and the jobs other parts hand in
 * (LTI grade delivery and housekeeping, src/jobs/lti-jobs.ts). Timers set the cadence; `now` comes from
 * the injected clock, so tests call `run()` / `runAll()` / `runJob()` with a manual clock instead of waiting.
 */
import type { Logger } from 'pino';
import type { ProviderRegistry } from '../providers/provider-registry.ts';
import type { StackStore } from '../db/stack-store.ts';
import type { Clock } from '../infra/clock.ts';
import type { Stack } from '../domain/stack.ts';
import type { InProgressState } from '../domain/states.ts';
import { reaper, reconciler, suspender, watchdog, type SweepSettings, type SweepStats } from '../services/sweeps.ts';
import { Periodic, type PeriodicJob } from './periodic.ts';

export interface ScheduleSettings extends SweepSettings {
  suspenderSeconds: number;
  reaperSeconds: number;
  reconcilerSeconds: number;
  watchdogSeconds: number;
  reconcileGraceSeconds: number;
}

export class Scheduler {
  private running: Periodic[] = [];

  constructor(
    private readonly deps: {
      store: StackStore;
      providers: ProviderRegistry;
      clock: Clock;
      /** This deployment's id: the reconciler acts only on its stacks. */
      deployment: string;
      logger: Logger;
      settings: ScheduleSettings;
      onWork?: () => void;
      /**
       * Writes the keepalives this process answered but has not written yet, so the suspender and the
       * reaper never judge a stack by older activity than this process has already acknowledged.
       */
      settleActivity?: () => Promise<void>;
      /** Hears each operation the watchdog failed for running past its deadline. */
      onTimedOut?: (stack: Stack, from: InProgressState) => void;
      /** More periodic jobs, started and stopped with the sweeps. */
      jobs?: PeriodicJob[];
    },
  ) {}

  readonly sweeps = {
    suspender: async () => {
      await this.deps.settleActivity?.();
      return suspender(this.deps.store, this.deps.clock.now(), this.deps.settings);
    },
    reaper: async () => {
      await this.deps.settleActivity?.();
      return reaper(this.deps.store, this.deps.clock.now(), this.deps.settings);
    },
    watchdog: () => watchdog(this.deps.store, this.deps.clock.now(), this.deps.settings, this.deps.onTimedOut),
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

  /** One pass of a handed-in job, now (tests, and callers that cannot wait for the timer). */
  async runJob(name: string): Promise<unknown> {
    const job = this.deps.jobs?.find((j) => j.name === name);
    if (!job) throw new Error(`scheduler: no job named ${name}`);
    return job.run();
  }

  start(): void {
    if (this.running.length) return;
    const sweep = (name: keyof Scheduler['sweeps'], seconds: number): PeriodicJob => ({ name: `sweep ${name}`, everyMs: seconds * 1000, run: () => this.run(name) });
    const jobs = [
      sweep('suspender', this.deps.settings.suspenderSeconds),
      sweep('reaper', this.deps.settings.reaperSeconds),
      sweep('reconciler', this.deps.settings.reconcilerSeconds),
      sweep('watchdog', this.deps.settings.watchdogSeconds),
      ...(this.deps.jobs ?? []),
    ];
    this.running = jobs.map((job) => new Periodic(job, this.deps.logger));
    for (const periodic of this.running) periodic.start();
  }

  /** Runs a started job soon (new work for it arrived in this process); a no-op when not started. */
  poke(name: string): void {
    this.running.find((p) => p.job.name === name)?.poke();
  }

  /** Stops every timer and waits for the passes in flight. */
  async stop(): Promise<void> {
    const stopping = this.running.map((p) => p.stop());
    this.running = [];
    await Promise.all(stopping);
  }
}
