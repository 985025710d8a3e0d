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
import { Keys } from '../src/infra/keys.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../src/providers/openstack/provider.ts';
import { isOwnStackName } from '../src/providers/stack-names.ts';
import { demoOptions, ensureHeat, HEAT_MISSING, type HeatEnv } from '../test/openstack/heat-env.ts';
import { freshDatabase, type TestDatabase } from '../test/support/databases.ts';
import { testLab } from '../test/support/test-runtime.ts';
import { FaultProxy, type FaultKind, type FaultRates } from './fault-proxy.ts';
import { Campaign, FIRST, pool, SECOND } from './provider-faults-learners.ts';

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

const LAB = 'faults';
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
