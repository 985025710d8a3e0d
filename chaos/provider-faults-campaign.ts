/**
 * The provider-faults campaign itself (chaos/provider-faults.ts is its command line, and
 * test/openstack/provider-faults.test.ts runs a short one): stacklab's whole runtime on a fresh
 * PostgreSQL schema, with two OpenStack providers that are both the real Keystone + Heat, each behind
 * a fault proxy (fault-proxy.ts) of its own rates. A lab lists the faulty one first.
 *
 * 1. Outage: the first cloud answers everything with a 503; every launch must fail over to the second
 *    and end READY there, with the handover in its history.
 * 2. Faults: learners launch, suspend, resume and delete while both clouds fail at their rates.
 * 3. Every row is deleted, still under faults (a failed delete is asked again, as a learner would).
 *
 * All along, Heat (read directly, not through a proxy) is sampled: never two live stacks for one
 * learner's lab, never one name twice. After the churn: every operation ended (READY, SUSPENDED,
 * DELETED or failed) within its time limit, every failure message is one a learner can act on, every
 * READY or SUSPENDED lab is on Heat in that state and none was written off; after the deletes, nothing
 * of the deployment is left on Heat.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pino from 'pino';
import { createRuntime, type Runtime } from '../src/app/create-context.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { mapCatalog } from '../src/domain/lab-catalog.ts';
import type { Stack } from '../src/domain/stack.ts';
import type { StackState } from '../src/domain/states.ts';
import { Keys } from '../src/infra/keys.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../src/providers/openstack/provider.ts';
import { isOwnStackName } from '../src/providers/stack-names.ts';
import { demoOptions, ensureHeat, HEAT_MISSING, type HeatEnv } from '../test/openstack/heat-env.ts';
import { freshDatabase, type TestDatabase } from '../test/support/databases.ts';
import { testLab } from '../test/support/test-runtime.ts';
import { FaultProxy, type FaultKind, type FaultRates } from './fault-proxy.ts';
import { countPerRow, orphans, unactionable, type RowView } from './provider-faults-invariants.ts';

export interface ProviderFaultsOptions {
  /** Learners launched while both clouds fail at their rates. */
  launches: number;
  /** Learners launched while the first cloud is down. */
  outageLaunches: number;
  rates: FaultRates;
  secondRates: FaultRates;
  /** How many learners act at once. */
  concurrency: number;
  /** The providers' per-request time limit (a "timeout" fault costs this much). */
  requestTimeoutSeconds: number;
  /** The lab's launch time limit (Heat's timeout_mins and the watchdog's deadline). */
  launchTimeoutSeconds: number;
  /** The whole run gives up after this (with what it has, as a violation). */
  minutes: number;
  slowMs?: [number, number];
  /** A sample lab of labs/ (needs Nova, Neutron and Glance) instead of the Heat-only template. */
  lab?: string;
  /** The providers' retry tuning (tests make it quick); default: what a real cloud gets. */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Chance that a learner whose lab is READY suspends it (then resumes half the time), or deletes it. */
  suspendChance?: number;
  deleteChance?: number;
  log?: (line: string) => void;
}

export interface CloudFigures {
  requests: number;
  passed: number;
  faults: Record<FaultKind, number>;
}

export interface ProviderFaultsReport {
  seconds: number;
  deployment: string;
  launches: number;
  ready: number;
  readyOn: Record<string, number>;
  launchFailed: number;
  failovers: number;
  /** Operations another claim took over because the lease ran out while a provider call was in flight. */
  takeovers: number;
  suspends: number;
  resumes: number;
  deletes: number;
  /** Deletes that failed under faults and were asked again. */
  deleteRetries: number;
  /** Every failure a learner saw, as `STATE: message`. */
  failures: string[];
  samples: number;
  mostStacksForOneLab: number;
  /** READY or SUSPENDED labs checked on Heat after the churn. */
  audited: number;
  clouds: Record<string, CloudFigures>;
  violations: string[];
}

const SETTLED: StackState[] = ['READY', 'SUSPENDED', 'DELETED', 'LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED'];
const CONTEXT = 'course-v1:Chaos+Faults+2026';
const LAB = 'faults';
const FIRST = 'cloud-faulty';
const SECOND = 'cloud-second';
/** Heat-only: no Nova needed, so the campaign runs wherever Keystone + Heat do. */
export const HEAT_ONLY_TEMPLATE = `heat_template_version: 2018-08-31
parameters:
  run: { type: string, default: none }
resources:
  pw: { type: OS::Heat::RandomString, properties: { length: 16 } }
  ip: { type: OS::Heat::Value, properties: { value: 203.0.113.7 } }
outputs:
  password: { value: { get_attr: [pw, value] } }
  public_ip: { value: { get_attr: [ip, value] } }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work` on each item with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.max(1, limit) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

class Campaign {
  readonly violations: string[] = [];
  readonly failures: string[] = [];
  readonly figures = { launches: 0, ready: 0, launchFailed: 0, suspends: 0, resumes: 0, deletes: 0, deleteRetries: 0, samples: 0, most: 0, audited: 0 };
  readonly readyOn: Record<string, number> = {};
  private readonly seen = new Set<string>();
  private sampling = true;

  constructor(
    readonly rt: Runtime,
    readonly lab: string,
    readonly observer: OpenStackProvider,
    readonly options: ProviderFaultsOptions,
    readonly deadline: number,
  ) {}

  get deployment(): string {
    return this.rt.ctx.deployment;
  }

  private violation(text: string): void {
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.violations.push(text);
    this.options.log?.(`VIOLATION: ${text}`);
  }

  /** How long an operation may take before it counts as stuck: its limit plus the watchdog's round and the retries. */
  private get settleMs(): number {
    return (this.options.launchTimeoutSeconds + 60) * 1000;
  }

  async waitSettled(id: string, what: string): Promise<Stack | null> {
    const started = Date.now();
    const limit = Math.min(started + this.settleMs, this.deadline);
    for (;;) {
      const stack = await this.rt.ctx.stacks.get(id);
      if (SETTLED.includes(stack.state)) return stack;
      if (Date.now() > limit) {
        const why = limit === this.deadline ? `when the run's ${this.options.minutes} minutes were up` : '(stuck)';
        this.violation(`${stack.learner}: ${what} still ${stack.state} after ${Math.round((Date.now() - started) / 1000)} s ${why}`);
        return null;
      }
      await sleep(250);
    }
  }

  private noteFailure(stack: Stack): void {
    this.failures.push(`${stack.state}: ${stack.error ?? ''}`);
    const why = unactionable(stack.error);
    if (why) this.violation(`${stack.learner}: ${stack.state} with a message a learner cannot act on (${why}): ${JSON.stringify(stack.error)}`);
  }

  /** Heat, read directly: never two live stacks for one learner's lab, never one name twice. */
  async sampleLoop(): Promise<void> {
    while (this.sampling) {
      await this.sample().catch((error: Error) => this.options.log?.(`sample failed: ${error.message}`));
      await sleep(1000);
    }
  }

  async sample(): Promise<void> {
    const rows = await this.rows();
    const stacks = (await this.observer.list()).filter((s) => isOwnStackName(s.name, this.deployment));
    const count = countPerRow(stacks, rows, this.deployment);
    this.figures.samples++;
    this.figures.most = Math.max(this.figures.most, count.most);
    for (const d of count.doubled) this.violation(`two live provider stacks for one learner's lab: ${d}`);
    for (const n of count.sameName) this.violation(`Heat holds one name twice: ${n}`);
  }

  async rows(): Promise<RowView[]> {
    return (await this.rt.ctx.stacks.list({ limit: 100_000 })).map((s) => ({ id: s.id, learner: s.learner, state: s.state, providerStackName: s.providerStackName }));
  }

  stopSampling(): void {
    this.sampling = false;
  }

  /** A launch that must end READY (or failed in words); returns the settled row. */
  async launch(learner: string): Promise<Stack | null> {
    const started = await this.rt.ctx.stacks.launch({ learner, context: CONTEXT, lab: this.lab, actor: 'chaos' });
    if (started.state === 'LAUNCH_PENDING') this.figures.launches++;
    const done = await this.waitSettled(started.id, 'launch');
    if (!done) return null;
    if (done.state === 'READY') {
      this.figures.ready++;
      this.readyOn[done.provider ?? '?'] = (this.readyOn[done.provider ?? '?'] ?? 0) + 1;
    } else if (done.state === 'LAUNCH_FAILED') {
      this.figures.launchFailed++;
      this.noteFailure(done);
    } else this.violation(`${learner}: a launch ended ${done.state}`);
    return done;
  }

  /** Deletes a row, asking again (as a learner would) when the delete failed under faults. */
  async remove(stack: Stack): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = await this.rt.ctx.stacks.get(stack.id);
      if (now.state === 'DELETED') return;
      await this.rt.ctx.stacks.requestDelete(stack.id, 'chaos');
      this.figures.deletes++;
      const done = await this.waitSettled(stack.id, 'delete');
      if (!done || done.state === 'DELETED') return;
      this.noteFailure(done);
      this.figures.deleteRetries++;
    }
    this.violation(`${stack.learner}: still not deleted after 5 deletes`);
  }

  /** One learner in the faults phase: launch, then suspend (and maybe come back), delete, or leave it. */
  async learner(name: string): Promise<void> {
    const stack = await this.launch(name);
    if (!stack || stack.state !== 'READY' || Date.now() > this.deadline) return;
    const roll = Math.random();
    const suspendChance = this.options.suspendChance ?? 0.5;
    if (roll < suspendChance) {
      await this.rt.ctx.stacks.requestSuspend(stack.id, 'chaos');
      this.figures.suspends++;
      const suspended = await this.waitSettled(stack.id, 'suspend');
      if (!suspended) return;
      if (suspended.state !== 'SUSPENDED') return this.noteFailure(suspended);
      if (Math.random() < 0.5) {
        const back = await this.rt.ctx.stacks.launch({ learner: name, context: CONTEXT, lab: this.lab, actor: 'chaos' });
        this.figures.resumes++;
        if (back.id !== stack.id) this.violation(`${name}: coming back made a second row (${back.id}) instead of resuming ${stack.id}`);
        const resumed = await this.waitSettled(back.id, 'resume');
        if (resumed && resumed.state !== 'READY') this.noteFailure(resumed);
        if (resumed?.state === 'READY' && resumed.provider !== stack.provider) this.violation(`${name}: resumed on ${resumed.provider}, but the stack lives on ${stack.provider}`);
      }
    } else if (roll < suspendChance + (this.options.deleteChance ?? 0.3)) {
      await this.remove(stack);
    }
  }

  /** The outage phase: every launch must land on the second cloud, with the handover recorded. */
  async outageLearner(name: string): Promise<void> {
    const stack = await this.launch(name);
    if (!stack) return;
    if (stack.state !== 'READY' || stack.provider !== SECOND) {
      this.violation(`${name}: launched while ${FIRST} was down, it ended ${stack.state} on ${stack.provider ?? 'no provider'} instead of READY on ${SECOND} (${stack.error ?? ''})`);
      return;
    }
    const events = await this.rt.ctx.stacks.events(stack.id);
    const handover = events.find((e) => e.fromState === 'CREATING' && e.toState === 'LAUNCH_PENDING');
    if (!handover || !handover.reason.includes(FIRST) || !handover.reason.includes(`trying '${SECOND}' next`)) {
      this.violation(`${name}: READY on ${SECOND} without a recorded handover from ${FIRST}: ${events.map((e) => e.toState).join(' > ')}`);
    }
  }

  /** Failovers (CREATING > LAUNCH_PENDING), and operations taken over from a worker whose lease ran out. */
  async history(): Promise<{ failovers: number; takeovers: number }> {
    let failovers = 0;
    let takeovers = 0;
    for (const row of await this.rows()) {
      const events = await this.rt.ctx.stacks.events(row.id);
      failovers += events.filter((e) => e.fromState === 'CREATING' && e.toState === 'LAUNCH_PENDING').length;
      takeovers += events.filter((e) => e.fromState === e.toState).length;
    }
    return { failovers, takeovers };
  }

  /**
   * No learner's lab lost: once the churn has settled, every READY or SUSPENDED row's stack is on Heat
   * in that state, and no row was written off because its stack vanished behind the store's back.
   */
  async audit(): Promise<void> {
    for (const row of await this.rt.ctx.stacks.list({ limit: 100_000 })) {
      const settled = await this.waitSettled(row.id, 'the last operation');
      if (!settled) continue;
      for (const e of await this.rt.ctx.stacks.events(row.id))
        if (e.actor === 'reconciler' && e.toState === 'DELETED') this.violation(`${row.learner}: the lab was written off, its stack gone behind the store's back (${e.reason})`);
      if (settled.state !== 'READY' && settled.state !== 'SUSPENDED') continue;
      this.figures.audited++;
      const live = await this.observer.get({ id: settled.providerStackId ?? '', name: settled.providerStackName });
      const want = settled.state === 'READY' ? ['CREATE', 'RESUME'] : ['SUSPEND'];
      if (!live || !want.includes(live.action) || live.status !== 'COMPLETE')
        this.violation(`${row.learner}: ${settled.state} in the store, but ${live ? `${live.action}_${live.status}` : 'gone'} on Heat`);
    }
  }

  /** Everything deleted (still under faults), then Heat must hold nothing of the deployment once its deletes finish. */
  async deleteAllAndAudit(): Promise<void> {
    const all = await this.rt.ctx.stacks.list({ limit: 100_000 });
    await pool(all, this.options.concurrency, async (row) => {
      const settled = await this.waitSettled(row.id, 'the last operation');
      if (settled) await this.remove(settled);
    });
    for (const row of await this.rows()) if (row.state !== 'DELETED') this.violation(`${row.learner}: ${row.state} at the end, not DELETED`);
    // Heat finishes its deletes on its own time; what is still there after that is left behind.
    const until = Math.min(Date.now() + 120_000, this.deadline + 60_000);
    let left: string[];
    for (;;) {
      const stacks = (await this.observer.list()).filter((s) => isOwnStackName(s.name, this.deployment));
      left = orphans(stacks, await this.rows(), this.deployment);
      const busy = stacks.some((s) => s.action === 'DELETE' && s.status === 'IN_PROGRESS');
      if ((left.length === 0 && !busy) || Date.now() > until) break;
      await sleep(1000);
    }
    for (const o of left) this.violation(`left on Heat after every lab was deleted: ${o}`);
  }
}

function cloudFigures(proxy: FaultProxy): CloudFigures {
  return { requests: proxy.requests, passed: proxy.passed, faults: { ...proxy.counts } };
}

/** STACKLAB_CHAOS_LOG=warn (or info...) shows the providers' and workers' own account on stderr. */
const logger = pino({ level: process.env.STACKLAB_CHAOS_LOG ?? 'silent' }, pino.destination(2));

function provider(env: HeatEnv, name: string, proxy: FaultProxy, options: ProviderFaultsOptions): OpenStackProvider {
  const base = demoOptions(env, { request_timeout_seconds: options.requestTimeoutSeconds });
  return createOpenStackProvider(name, { ...base, auth: { ...base.auth!, auth_url: proxy.url(env.authUrl) } }, logger, { retry: options.retry });
}

/** Whatever a run leaves behind on Heat (after a violation, or a run cut short), removed straight through a clean provider. */
async function sweepHeat(observer: OpenStackProvider, deployment: string): Promise<void> {
  for (const s of await observer.list().catch(() => [])) if (isOwnStackName(s.name, deployment) && s.action !== 'DELETE') await observer.delete(s).catch(() => undefined);
}

export async function runProviderFaults(options: ProviderFaultsOptions): Promise<ProviderFaultsReport> {
  const env = await ensureHeat();
  if (!env) throw new Error(HEAT_MISSING);
  const t0 = Date.now();
  const deadline = t0 + options.minutes * 60_000;
  const log = options.log ?? (() => undefined);
  const first = await new FaultProxy({ rates: options.rates, slowMs: options.slowMs }).start();
  const second = await new FaultProxy({ rates: options.secondRates, slowMs: options.slowMs }).start();
  const observer = createOpenStackProvider('observer', demoOptions(env), pino({ level: 'silent' }));
  let database: TestDatabase | null = null;
  let rt: Runtime | null = null;
  try {
    database = await freshDatabase('postgres');
    // The lab's own time limits, but none of the suspender's or the reaper's doing: the campaign decides.
    const timeouts = { launch: options.launchTimeoutSeconds, suspend: 3600, deleteAge: 86_400, check: 120, remoteExec: 300 };
    const lab = options.lab
      ? { ...loadLab(resolve(import.meta.dirname, '..', 'labs', options.lab), { defaultProviders: [FIRST, SECOND] }), timeouts }
      : testLab({
          id: LAB,
          template: HEAT_ONLY_TEMPLATE,
          providers: [FIRST, SECOND].map((name) => ({ name, capacity: -1, template: HEAT_ONLY_TEMPLATE, templateFile: 'template.yaml' })),
          timeouts,
        });
    const { config } = loadConfig({
      env: {},
      overrides: {
        api_token: 'chaos-token-0123456789abcdef',
        data_dir: `/tmp/stacklab-chaos-faults-${process.pid}`,
        deployment_id: `faults${randomBytes(3).toString('hex')}`,
        log_level: 'silent',
        poll_interval: 0.5,
        watchdog_interval: 5,
        reconciler_interval: 10,
        worker_concurrency: 50,
      },
    });
    rt = await createRuntime({
      config,
      db: database.db,
      providers: [provider(env, FIRST, first, options), provider(env, SECOND, second, options)],
      labs: mapCatalog([lab]),
      keys: Keys.ephemeral(),
      logger,
      workerId: 'chaos-faults',
    });
    rt.startJobs();
    const campaign = new Campaign(rt, lab.id, observer, options, deadline);
    const sampler = campaign.sampleLoop();
    log(`provider-faults: deployment ${campaign.deployment}; ${FIRST} via ${first.url(env.authUrl)}, ${SECOND} via ${second.url(env.authUrl)}`);

    if (options.outageLaunches > 0) {
      first.outage = true;
      log(`outage: ${FIRST} down, ${options.outageLaunches} launches`);
      await pool(Array.from({ length: options.outageLaunches }, (_, i) => `outage-${i}`), options.concurrency, (l) => campaign.outageLearner(l));
      first.outage = false;
    }
    log(`faults: ${options.launches} launches`);
    await pool(Array.from({ length: options.launches }, (_, i) => `learner-${i}`), options.concurrency, (l) => campaign.learner(l));
    await campaign.audit();
    log(`audit: ${campaign.figures.audited} READY or SUSPENDED labs found on Heat as the store says; cleanup: deleting every lab, still under faults`);
    await campaign.deleteAllAndAudit();
    await campaign.sample();
    campaign.stopSampling();
    await sampler;
    if (Date.now() > deadline) campaign.violations.push(`the run took more than its ${options.minutes} minutes`);
    return {
      seconds: Math.round((Date.now() - t0) / 1000),
      deployment: campaign.deployment,
      ...campaign.figures,
      mostStacksForOneLab: campaign.figures.most,
      readyOn: campaign.readyOn,
      ...(await campaign.history()),
      failures: campaign.failures,
      clouds: { [FIRST]: cloudFigures(first), [SECOND]: cloudFigures(second) },
      violations: campaign.violations,
    };
  } finally {
    const deployment = rt?.ctx.deployment;
    await rt?.close().catch((e: Error) => log(`closing the runtime: ${e.message}`));
    await first.stop();
    await second.stop();
    if (deployment) await sweepHeat(observer, deployment);
    // Dropping scans every stack history for an illegal step: a finding too, so it is not swallowed.
    await database?.drop();
  }
}
