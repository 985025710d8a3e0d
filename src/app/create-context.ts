/**
 * The composition root: config -> store -> providers -> services -> (worker, periodic jobs). `serve`,
 * `worker`, the CLI and the tests all build their world here, so there is one wiring to trust.
 */
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { resolveDeployment } from '../db/deployment.ts';
import { migrate } from '../db/migrations.ts';
import { StackStore } from '../db/stack-store.ts';
import { GRADE_JOB, ltiJobs } from '../jobs/lti-jobs.ts';
import { Scheduler } from '../jobs/scheduler.ts';
import { Worker } from '../jobs/worker.ts';
import { installHooks } from '../checks/hooks.ts';
import { ltiFor } from '../lti/lti-module.ts';
import { loadLabs } from '../labs/load-labs.ts';
import type { Provider } from '../providers/provider.ts';
import { buildProviders } from '../providers/registry.ts';
import { systemClock, type Clock } from '../services/clock.ts';
import { DomainEvents } from '../services/events.ts';
import { Keys } from '../services/keys.ts';
import { Operations } from '../services/operations.ts';
import { StackService } from '../services/stack-service.ts';
import { mapCatalog, mapRegistry, type AppContext, type LabCatalog } from './context.ts';
import { createLogger } from './log-output.ts';

export interface Runtime {
  ctx: AppContext;
  store: StackStore;
  operations: Operations;
  worker: Worker;
  scheduler: Scheduler;
  /** The worker loop and the periodic jobs (sweeps, LTI grades), as `serve` (unless --no-worker) and `worker` run them. */
  startJobs(): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  config: Config;
  providerEntries?: unknown[] | null;
  ltiConfig?: unknown;
  logger?: Logger;
  clock?: Clock;
  db?: Database;
  /** Ready-made providers (tests); otherwise built from the config. */
  providers?: Provider[];
  labs?: LabCatalog;
  keys?: Keys;
  workerId?: string;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config } = options;
  const logger =
    options.logger ?? createLogger({ level: config.log_level, redact: ['*.private_key', '*.privateKey', '*.password', '*.secrets', 'req.headers.authorization'] }, config.log_format);
  const clock = options.clock ?? systemClock;
  const dataDir = isAbsolute(config.data_dir) ? config.data_dir : resolve(config.data_dir);
  const db = options.db ?? (await openDatabase({ url: config.database_url, dataDir: join(dataDir, 'pglite') }));
  await migrate(db);
  const deployment = await resolveDeployment(db, config.deployment_id).catch(async (error: unknown) => {
    if (!options.db) await db.close();
    throw error;
  });
  const keys = options.keys ?? (config.secret_key ? Keys.fromBase64(config.secret_key) : Keys.fromDataDir(dataDir));
  const built = options.providers
    ? { providers: options.providers, notices: [] as string[] }
    : await buildProviders(config.providers, options.providerEntries ?? null, logger, { deployment });
  const providers = mapRegistry(built.providers);
  const defaultProviders = config.default_providers ? config.default_providers.split(',').map((s) => s.trim()).filter(Boolean) : built.providers.map((p) => p.name);
  let labs = options.labs;
  if (!labs) {
    const loaded = loadLabs(resolve(config.labs_dir), { defaultProviders });
    for (const error of loaded.errors) logger.error({ file: error.file, problems: error.problems }, `lab not loaded: ${error.message}`);
    labs = mapCatalog(loaded.labs.values());
  }
  const events = new DomainEvents();
  const lifecycleHooks = {};
  const stacks = new StackService({ db, labs, keys, clock, events, deployment, logger: logger.child({ component: 'stacks' }) });
  await stacks.open();
  const ctx: AppContext = { config, deployment, ltiConfig: options.ltiConfig, logger, db, keys, clock, labs, providers, stacks, events, lifecycleHooks, notices: built.notices };
  // Lab hook scripts run in the stack around suspend, resume and delete (checks/hooks.ts).
  installHooks(ctx);
  // Check results from LTI launches become queued grades in whichever process ran the check; the
  // lti-grades job sends them wherever workers run.
  const lti = ltiFor(ctx);
  const stopQueueingGrades = lti.queueGrades();
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const operations = new Operations({
    db,
    labs,
    providers,
    keys,
    clock,
    events,
    deployment,
    hooks: lifecycleHooks,
    logger: logger.child({ component: 'operations' }),
    settings: { worker: workerId, leaseSeconds: config.lease, pollSeconds: config.poll_interval, suspendAttempts: config.suspend_attempts },
  });
  const store = stacks.store;
  const worker = new Worker({
    store,
    operations,
    clock,
    logger: logger.child({ component: 'worker' }),
    settings: {
      id: workerId,
      concurrency: config.worker_concurrency,
      leaseSeconds: config.lease,
      idlePollMs: 1000,
      suspendTaskTimeout: config.suspend_task_timeout,
      deleteTaskTimeout: config.delete_task_timeout,
    },
  });
  const scheduler = new Scheduler({
    store,
    providers,
    clock,
    deployment,
    logger: logger.child({ component: 'sweeps' }),
    onWork: () => worker.poke(),
    settleActivity: () => stacks.activityLedger.drain(),
    jobs: ltiJobs(lti, logger.child({ component: 'lti-jobs' })),
    settings: {
      batch: 1000,
      deleteAttempts: config.delete_attempts,
      suspendAttempts: config.suspend_attempts,
      retryBackoff: 30,
      suspenderSeconds: config.suspender_interval,
      reaperSeconds: config.reaper_interval,
      reconcilerSeconds: config.reconciler_interval,
      watchdogSeconds: config.watchdog_interval,
      reconcileGraceSeconds: Math.max(config.lease * 2, 120),
    },
  });
  // Work requested through the API starts at once instead of at the next idle poll.
  events.on('stack.transition', (e) => {
    if (e.to.endsWith('_PENDING')) worker.poke();
  });
  events.on('grade.queued', () => scheduler.poke(GRADE_JOB));
  return {
    ctx,
    store,
    operations,
    worker,
    scheduler,
    startJobs() {
      worker.start();
      scheduler.start();
    },
    async close() {
      stopQueueingGrades();
      await scheduler.stop();
      await worker.stop();
      await stacks.close();
      for (const provider of built.providers) await provider.close?.();
      if (!options.db) await db.close();
    },
  };
}
