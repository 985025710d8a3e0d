/**
 * The composition root: config -> store -> providers -> services -> checks, LTI -> (worker, periodic
 * jobs). `serve`, `worker`, the CLI and the tests all build their world here, so there is one wiring
 * to trust. Each part is built complete, after the parts it needs, and closed in the reverse order.
 */
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { resolveDeployment } from '../db/deployment.ts';
import { migrate } from '../db/migrations.ts';
import { backupBeforeMigrations } from '../db/store-backup.ts';
import { seedFor } from '../db/store-seed.ts';
import { labsFolder } from '../labs/labs-folder.ts';
import { StackStore } from '../db/stack-store.ts';
import { GRADE_JOB, ltiJobs } from '../jobs/lti-jobs.ts';
import { Scheduler } from '../jobs/scheduler.ts';
import { Worker } from '../jobs/worker.ts';
import { CheckService } from '../checks/check-service.ts';
import { labHooks } from '../checks/hooks.ts';
import { LtiModule } from '../lti/lti-module.ts';
import { LiveTerminals } from '../gateway/live-terminals.ts';
import { DesktopWatchers } from '../gateway/desktop-watchers.ts';
import { LiveRdpSessions } from '../gateway/live-rdp.ts';
import { Recordings } from '../recordings/recordings.ts';
import { loadLabs } from '../labs/load-labs.ts';
import type { Provider } from '../providers/provider.ts';
import { buildProviders } from '../providers/registry.ts';
import { systemClock, type Clock } from '../infra/clock.ts';
import { DomainEvents } from '../infra/events.ts';
import { createMetricsRegistry } from '../infra/metrics.ts';
import { measureLifecycle, type LifecycleMeasure } from '../services/lifecycle-metrics.ts';
import { measureUsage } from '../services/usage-metrics.ts';
import { Keys } from '../infra/keys.ts';
import { Operations } from '../services/operations.ts';
import { WarmPools } from '../services/warm-pools.ts';
import { ClassSchedules, configuredClasses } from '../services/class-schedules.ts';
import { PredictiveResume } from '../services/predictive-resume.ts';
import { courseRun } from '../lti/identity.ts';
import { StackService } from '../services/stack-service.ts';
import { OperatorAccounts } from '../services/operator-accounts.ts';
import { oidcSettings } from '../services/oidc-operators.ts';
import { mapCatalog, type LabCatalog } from '../domain/lab-catalog.ts';
import { mapRegistry } from '../providers/provider-registry.ts';
import type { AppContext, LabLoadFailure } from './context.ts';
import { createLogger } from './log-output.ts';
import { makePrivate } from './private-files.ts';

export interface Runtime {
  ctx: AppContext;
  store: StackStore;
  operations: Operations;
  worker: Worker;
  scheduler: Scheduler;
  /** Operation durations and failures, recorded on ctx.metrics as workers finish operations. */
  lifecycleMetrics: LifecycleMeasure;
  /** The worker loop and the periodic jobs (sweeps, LTI grades), as `serve` (unless --no-worker) and `worker` run them. */
  startJobs(): void;
  /** Closes every part, each even when one before it failed; throws the failures together. */
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
  // The OIDC client secret is never logged on purpose; its names are redacted too, should an object holding it be.
  const logger =
    options.logger ??
    createLogger({ level: config.log_level, redact: ['*.private_key', '*.privateKey', '*.password', '*.secrets', '*.clientSecret', '*.oidc_client_secret', 'req.headers.authorization'] }, config.log_format);
  const clock = options.clock ?? systemClock;
  // A half-configured OIDC sign-in stops the start here, before anything is opened.
  const oidc = oidcSettings(config);
  const dataDir = isAbsolute(config.data_dir) ? config.data_dir : resolve(config.data_dir);
  // What was opened so far, closed in reverse if a later step fails or at close().
  const closers: { what: string; close: () => unknown }[] = [];
  // The data folder is the server's alone: the embedded store, the master key, the API token.
  const ownStore = !options.db && !config.database_url;
  if (!options.db && (ownStore || !config.secret_key)) makePrivate(dataDir);
  // Pushed first so it runs last: the files the store wrote while open become the owner's too.
  if (ownStore) closers.push({ what: 'data folder modes', close: () => makePrivate(dataDir) });
  try {
    // A deployment's first start on the embedded store begins from the build's migrated seed (db/store-seed.ts).
    const seed = ownStore ? seedFor(join(dataDir, 'pglite')) : undefined;
    if (seed) logger.info('a new embedded store, made from the build\'s migrated seed');
    const db = options.db ?? (await openDatabase({ url: config.database_url, dataDir: join(dataDir, 'pglite'), seed }));
    if (!options.db) closers.push({ what: 'database', close: () => db.close() });
    // An upgrade's migrations change the embedded store in place: a copy first, to roll back to.
    const copy = ownStore ? await backupBeforeMigrations(db, join(dataDir, 'pglite')) : null;
    if (copy) logger.info({ copy }, 'the embedded store was copied before its migrations; `stacklab store restore` puts it back');
    await migrate(db);
    if (ownStore) makePrivate(dataDir);
    const deployment = await resolveDeployment(db, config.deployment_id);
    const keys = options.keys ?? (config.secret_key ? Keys.fromBase64(config.secret_key) : Keys.fromDataDir(dataDir));
    const built = options.providers
      ? { providers: options.providers, notices: [] as string[] }
      : await buildProviders(config.providers, options.providerEntries ?? null, logger, { deployment });
    for (const provider of built.providers) closers.push({ what: `provider ${provider.name}`, close: () => provider.close?.() });
    const providers = mapRegistry(built.providers);
    const labErrors: LabLoadFailure[] = [];
    const labs = options.labs ?? loadLabCatalog(config, built.providers, logger, labErrors);
    const events = new DomainEvents();
    const metrics = createMetricsRegistry();

    const stacks = new StackService({
      db,
      labs,
      keys,
      clock,
      events,
      deployment,
      limits: { maxStacks: config.max_stacks_per_learner, launchesPerMinute: config.launches_per_minute },
      statusWaiters: config.status_waiters,
      statusWaitsPerLearner: config.status_waits_per_learner,
      configured: (name) => providers.get(name) !== undefined,
      logger: logger.child({ component: 'stacks' }),
    });
    await stacks.open();
    closers.push({ what: 'stack service', close: () => stacks.close() });
    // Lab hook scripts run in the stack around suspend, resume and delete (checks/hooks.ts).
    const lifecycleHooks = labHooks({ labs, stacks, logger });
    const checks = new CheckService({ db, logger, labs, stacks, events, clock });
    const lti = new LtiModule({ ltiConfig: options.ltiConfig, db, keys, clock, logger, labs, events }, { maxLoginStates: config.max_lti_login_states });
    // Check results from LTI launches become queued grades in whichever process ran the check; the
    // lti-grades job sends them wherever workers run.
    closers.push({ what: 'grade queueing', close: lti.queueGrades() });
    const recordings = new Recordings({ db, clock, logger: logger.child({ component: 'recordings' }), dir: join(resolve(config.data_dir), 'recordings'), retentionDays: config.recording_retention_days });
    // A course's launches give its templates the Open edX run of its key, else the course id (routes/lti.ts).
    const schedules = new ClassSchedules({ db, labs, configured: configuredClasses(config.schedules, labs, (message) => logger.warn(message)), runOf: (course) => courseRun(course) ?? course });
    const pools = new WarmPools({ db, labs, events, deployment, clock, sizingAt: (now) => schedules.sizingAt(now) });
    const predictive = new PredictiveResume({
      db,
      stacks,
      clock,
      logger: logger.child({ component: 'predictive-resume' }),
      settings: { courseOpen: config.predictive_resume, habit: config.habit_resume ? { leadSeconds: config.habit_resume_lead, minDays: config.habit_resume_days } : null },
    });
    const ctx: AppContext = { config, deployment, ltiConfig: options.ltiConfig, logger, db, keys, clock, labs, providers, stacks, events, lifecycleHooks, pools, schedules, predictive, checks, lti, liveTerminals: new LiveTerminals(), desktopWatchers: new DesktopWatchers(), liveRdp: new LiveRdpSessions(), recordings, notices: built.notices, labErrors, metrics,
      operators: new OperatorAccounts(db, clock, config.operator_session_ttl, { oidcIssuer: oidc?.issuer ?? null }) };

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
    // Measured in the process that finishes operations; a standalone worker serves them too (metrics_port).
    const lifecycleMetrics = measureLifecycle({ events, store, registry: metrics, logger });
    closers.push({ what: 'lifecycle metrics', close: () => lifecycleMetrics.stop() });
    // Billed and learning hours, counted from the histories at each scrape (services/usage-metrics.ts).
    measureUsage({ db, registry: metrics, logger, now: () => clock.now() });
    const worker = new Worker({
      store,
      operations,
      clock,
      logger: logger.child({ component: 'worker' }),
      settings: {
        id: workerId,
        concurrency: config.worker_concurrency,
        leaseSeconds: config.lease,
        idlePollMs: config.worker_idle_poll * 1000,
        suspendTaskTimeout: config.suspend_task_timeout,
        shelveTaskTimeout: config.shelve_task_timeout,
        deleteTaskTimeout: config.delete_task_timeout,
      },
    });
    closers.push({ what: 'worker', close: () => worker.stop() });
    const scheduler = new Scheduler({
      store,
      providers,
      clock,
      deployment,
      logger: logger.child({ component: 'sweeps' }),
      onWork: () => worker.poke(),
      settleActivity: () => stacks.activityLedger.drain(),
      onTimedOut: (stack, from) => events.emit('stack.transition', { stack, from, to: stack.state, reason: 'timed out (watchdog)' }),
      jobs: [
        ...ltiJobs(lti, logger.child({ component: 'lti-jobs' })),
        { name: 'recordings sweep', everyMs: 3600_000, runAtStart: true, run: () => recordings.sweep() },
        { name: POOL_JOB, everyMs: config.pool_interval * 1000, runAtStart: true, run: () => fillPools(pools, clock, config.sweep_batch, logger, () => worker.poke()) },
        ...(config.habit_resume ? [{ name: HABIT_JOB, everyMs: 60_000, runAtStart: true, run: () => habitPass(predictive, clock, logger, () => worker.poke()) }] : []),
      ],
      settings: {
        batch: config.sweep_batch,
        deleteAttempts: config.delete_attempts,
        suspendAttempts: config.suspend_attempts,
        retryBackoff: config.retry_backoff,
        suspenderSeconds: config.suspender_interval,
        reaperSeconds: config.reaper_interval,
        reconcilerSeconds: config.reconciler_interval,
        watchdogSeconds: config.watchdog_interval,
        reconcileGraceSeconds: config.reconcile_grace ?? Math.max(config.lease * 2, 120),
      },
    });
    closers.push({ what: 'scheduler', close: () => scheduler.stop() });
    // Work requested through the API starts at once instead of at the next idle poll.
    events.on('stack.transition', (e) => {
      if (e.to.endsWith('_PENDING')) worker.poke(e.stack.id);
    });
    events.on('grade.queued', () => scheduler.poke(GRADE_JOB));
    // A claim (a first launch's or a reset's: either leaves `personalize` set) takes a stack out of its
    // pool: refill now rather than at the next pass; and a pool stack just made is suspended (in a
    // suspended pool) at once rather than running until the next pass.
    events.on('stack.transition', (e) => {
      if ((e.stack.personalize && e.to === 'RESUME_PENDING' && e.from === null) || (e.stack.pool && e.to === 'READY')) scheduler.poke(POOL_JOB);
    });
    return {
      ctx,
      store,
      operations,
      worker,
      scheduler,
      lifecycleMetrics,
      startJobs() {
        worker.start();
        scheduler.start();
      },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers).catch((closeError: unknown) => logger.error({ err: closeError }, 'clean-up after a failed start failed'));
    throw error;
  }
}

const POOL_JOB = 'warm pools';
export const HABIT_JOB = 'habit resume';

/** One pass of habit resume (services/predictive-resume.ts), logged like the sweeps. */
async function habitPass(predictive: PredictiveResume, clock: Clock, logger: Logger, onWork: () => void): Promise<void> {
  const stats = await predictive.habitPass(clock.now());
  if (stats.acted || stats.errors.length) logger.child({ component: 'sweeps' }).info(stats, 'sweep habit resume');
  if (stats.acted) onWork();
}

/** One pass of the pool filler, logged like the sweeps. */
async function fillPools(pools: WarmPools, clock: Clock, batch: number, logger: Logger, onWork: () => void): Promise<void> {
  const stats = await pools.fill(clock.now(), batch);
  if (stats.acted || stats.errors.length) logger.child({ component: 'sweeps' }).info(stats, 'sweep pools');
  if (stats.acted) onWork();
}

function loadLabCatalog(config: Config, providers: Provider[], logger: Logger, failed: LabLoadFailure[]): LabCatalog {
  const defaultProviders = config.default_providers ? config.default_providers.split(',').map((s) => s.trim()).filter(Boolean) : providers.map((p) => p.name);
  const loaded = loadLabs(labsFolder(config.labs_dir), { defaultProviders });
  for (const error of loaded.errors) {
    if (error.waitingForProvider) logger.warn({ file: error.file }, `lab waiting for a provider: ${error.message}`);
    else logger.error({ file: error.file, problems: error.problems }, `lab not loaded: ${error.message}`);
    failed.push({ file: error.file, message: error.message, waitingForProvider: error.waitingForProvider });
  }
  return mapCatalog(loaded.labs.values());
}

/**
 * Closes in the reverse order of opening: jobs first (they use everything), the database last. Every
 * part is closed even when one before it fails; the failures are thrown together afterwards.
 */
async function closeAll(closers: { what: string; close: () => unknown }[]): Promise<void> {
  const failures: Error[] = [];
  for (const { what, close } of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      failures.push(new Error(`closing the ${what} failed: ${(error as Error).message}`, { cause: error }));
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
}
