/**
 * Campaign: two deployments side by side on one host (and one Heat with --heat), both busy.
 * Each has its own store and its own provider handle on the same runtime; learners launch,
 * suspend, resume and delete stacks while every sweep runs each second on a clock a day ahead, so
 * every stack of the other deployment looks old enough to be a zombie. At the end: neither may have
 * lost a stack to the other.
 *
 *   node --import tsx chaos/two-deployments.ts [--runtime lxc|fake] [--heat] [--learners N] [--seconds S]
 *
 * Violations (exit 1): a deployment's provider asked to delete a stack whose name is not its own; a
 * row written off because its stack vanished behind the store's back; a stack lost (a failure saying
 * it no longer exists); a READY or SUSPENDED row whose stack is missing or in another state at the end.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { mapCatalog } from '../src/domain/lab-catalog.ts';
import { createRuntime, type Runtime } from '../src/app/create-context.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { openPglite } from '../src/db/database.ts';
import type { Lab } from '../src/domain/lab.ts';
import type { StackState } from '../src/domain/states.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import type { Provider, StackRef } from '../src/providers/provider.ts';
import { isOwnStackName } from '../src/providers/stack-names.ts';
import { Keys } from '../src/infra/keys.ts';
import { testLab } from '../test/support/test-runtime.ts';

const { values: args } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'lxc' },
    heat: { type: 'boolean', default: false },
    learners: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '120' },
  },
});
const LEARNERS = Number(args.learners);
const SECONDS = Number(args.seconds);
if (!['lxc', 'fake'].includes(args.runtime!) || !(LEARNERS >= 1) || !(SECONDS >= 5)) {
  console.error('usage: chaos/two-deployments.ts [--runtime lxc|fake] [--heat] [--learners N>=1] [--seconds S>=5]');
  process.exit(2);
}
/** Every deployment started, so a run that must give up can still remove what it made. */
const running: Deployment[] = [];

/**
 * Bounded whatever happens: `ms` from now the run gives up (exit 3: a hang is a finding too), after
 * at most two minutes of deleting the stacks it made straight through the providers.
 */
function giveUpAfter(ms: number, what: string): NodeJS.Timeout {
  const timer = setTimeout(() => {
    console.error(`two-deployments: ${what} took more than ${Math.round(ms / 1000)} s; giving up and removing the stacks made`);
    setTimeout(() => process.exit(3), 120_000).unref();
    void Promise.all(
      running.map(async (d) => {
        for (const s of await d.provider.list().catch(() => [])) if (isOwnStackName(s.name, d.runtime.ctx.deployment)) await d.provider.delete(s).catch(() => undefined);
        rmSync(join('/var/lib/stacklab/lxc/deployments', d.runtime.ctx.deployment), { recursive: true, force: true });
      }),
    ).finally(() => process.exit(3));
  }, ms);
  timer.unref();
  return timer;
}

const DAY_MS = 86_400_000;
// With the clock a day ahead, a provider that can shelve (--heat) shelves the suspended stacks: settled too.
const SETTLED: StackState[] = ['READY', 'SUSPENDED', 'SHELVED', 'DELETED', 'LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED', 'SHELVE_FAILED', 'UNSHELVE_FAILED'];
const HEAT_TEMPLATE = `heat_template_version: 2018-08-31
resources:
  pw: { type: OS::Heat::RandomString, properties: { length: 16 } }
  ip: { type: OS::Heat::Value, properties: { value: 203.0.113.7 } }
outputs:
  password: { value: { get_attr: [pw, value] } }
  public_ip: { value: { get_attr: [ip, value] } }
`;

interface Figures {
  launches: number;
  suspends: number;
  resumes: number;
  deletes: number;
  failures: string[];
  reconcilerPasses: number;
  zombiesDeleted: number;
  providerDeletes: number;
  violations: string[];
}

interface Deployment {
  label: string;
  runtime: Runtime;
  provider: Provider;
  lab: Lab;
  figures: Figures;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The provider as the deployment uses it, with every delete checked for ownership. */
function watched(inner: Provider, owner: () => string, figures: Figures): Provider {
  return {
    name: inner.name,
    kind: inner.kind,
    create: (req) => inner.create(req),
    get: (ref) => inner.get(ref),
    suspend: (ref) => inner.suspend(ref),
    resume: (ref) => inner.resume(ref),
    list: () => inner.list(),
    async delete(ref: StackRef) {
      figures.providerDeletes++;
      if (!isOwnStackName(ref.name, owner())) figures.violations.push(`deployment ${owner()} asked ${inner.name} to delete ${ref.name}, which is not its own`);
      return inner.delete(ref);
    },
    ...(inner.validate ? { validate: inner.validate.bind(inner) } : {}),
    ...(inner.rebootServers ? { rebootServers: inner.rebootServers.bind(inner) } : {}),
    close: async () => inner.close?.(),
  };
}

async function makeProvider(kind: string, deployment: string, shared: { fakeDir: string }): Promise<Provider> {
  const silent = pino({ level: 'silent' });
  if (kind === 'fake') {
    const { FakeProvider } = await import('../src/providers/fake/fake-provider.ts');
    return new FakeProvider('fake', { state_dir: shared.fakeDir, delay_ms: 300 });
  }
  if (kind === 'heat') {
    const { ensureHeat, demoOptions, HEAT_MISSING } = await import('../test/openstack/heat-env.ts');
    const env = await ensureHeat();
    if (!env) throw new Error(`--heat: ${HEAT_MISSING}`);
    const { createOpenStackProvider } = await import('../src/providers/openstack/provider.ts');
    return createOpenStackProvider('heat', demoOptions(env), silent);
  }
  const { checkLxcHost } = await import('../src/providers/lxc/host-check.ts');
  const check = await checkLxcHost();
  if (!check.ok) throw new Error(`the local runtime cannot run here (${check.reason}); try --runtime fake`);
  const { createLxcProvider } = await import('../src/providers/lxc/provider.ts');
  return createLxcProvider('local', {}, silent, { deployment });
}

function labFor(kind: string): Lab {
  if (kind === 'lxc') return loadLab(resolve('labs/single-server'), { defaultProviders: ['local'] });
  const template = kind === 'heat' ? HEAT_TEMPLATE : 'heat_template_version: 2016-10-14\nresources: {}\n';
  return testLab({ id: 'demo', template, providers: [{ name: kind, capacity: -1, template, templateFile: 'template.yaml' }] });
}

async function startDeployment(label: string, kind: string, shared: { fakeDir: string }): Promise<Deployment> {
  const figures: Figures = { launches: 0, suspends: 0, resumes: 0, deletes: 0, failures: [], reconcilerPasses: 0, zombiesDeleted: 0, providerDeletes: 0, violations: [] };
  const db = await openPglite(null);
  // The store decides the deployment id, and the local runtime needs it to be built: read it first.
  const { resolveDeployment } = await import('../src/db/deployment.ts');
  const { migrate } = await import('../src/db/migrations.ts');
  await migrate(db);
  const deploymentId = await resolveDeployment(db);
  const provider = watched(await makeProvider(kind, deploymentId, shared), () => deploymentId, figures);
  const lab = labFor(kind);
  const { config } = loadConfig({
    env: {},
    overrides: {
      api_token: 'chaos-token-0123456789abcdef',
      data_dir: join('/tmp', `stacklab-chaos-${label}`),
      log_level: 'silent',
      poll_interval: kind === 'fake' ? 0.05 : 0.25,
      suspender_interval: 1,
      reaper_interval: 1,
      reconciler_interval: 1,
      watchdog_interval: 1,
      worker_concurrency: 20,
      // Each learner here deletes and relaunches as fast as the lifecycle allows, which is what is under
      // test; the per-learner launch rate would stop it (the limits have their own tests).
      launches_per_minute: 0,
    },
  });
  // A day ahead: to this deployment's reconciler every stack of the other one is far past the grace.
  const clock = { now: () => new Date(Date.now() + DAY_MS) };
  const runtime = await createRuntime({ config, db, clock, providers: [provider], labs: mapCatalog([lab]), keys: Keys.ephemeral(), logger: pino({ level: 'silent' }), workerId: `chaos-${label}` });
  if (runtime.ctx.deployment !== deploymentId) throw new Error('the runtime resolved another deployment than the provider was built for');
  runtime.startJobs();
  const d = { label, runtime, provider, lab, figures };
  running.push(d);
  return d;
}

async function waitSettled(d: Deployment, id: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stack = await d.runtime.ctx.stacks.get(id);
    if (SETTLED.includes(stack.state)) return stack;
    if (Date.now() > deadline) throw new Error(`${d.label}: stack ${id} still ${stack.state} after ${timeoutMs / 1000} s`);
    await sleep(150);
  }
}

function noteFailure(d: Deployment, state: StackState, error: string | null): void {
  const text = `${state}: ${error ?? ''}`;
  d.figures.failures.push(text);
  if (/no longer exists|not found|NOT_FOUND/i.test(text)) d.figures.violations.push(`${d.label}: a stack was lost: ${text}`);
}

/** One learner, busy until the deadline: launch, then suspend, come back, or delete, at random. */
async function learnerLoop(d: Deployment, learner: string, until: number): Promise<void> {
  const stacks = d.runtime.ctx.stacks;
  while (Date.now() < until) {
    let stack = await stacks.launch({ learner, context: 'chaos', lab: d.lab.id, actor: 'chaos' });
    if (stack.state === 'RESUME_PENDING' || stack.state === 'SUSPENDED' || stack.state === 'UNSHELVE_PENDING') d.figures.resumes++;
    else if (stack.state === 'LAUNCH_PENDING') d.figures.launches++;
    stack = await waitSettled(d, stack.id);
    if (stack.state.endsWith('_FAILED')) {
      noteFailure(d, stack.state, stack.error);
      if (stack.state !== 'DELETE_FAILED') await stacks.requestDelete(stack.id, 'chaos').then(() => waitSettled(d, stack.id)).catch(() => undefined);
      continue;
    }
    if (stack.state !== 'READY') continue;
    const roll = Math.random();
    if (roll < 0.5) {
      await stacks.requestSuspend(stack.id, 'chaos');
      d.figures.suspends++;
      const suspended = await waitSettled(d, stack.id);
      if (suspended.state.endsWith('_FAILED')) noteFailure(d, suspended.state, suspended.error);
    } else if (roll < 0.8) {
      await stacks.requestDelete(stack.id, 'chaos');
      d.figures.deletes++;
      const deleted = await waitSettled(d, stack.id);
      if (deleted.state.endsWith('_FAILED')) noteFailure(d, deleted.state, deleted.error);
    }
    await sleep(200 + Math.random() * 800);
  }
}

/** Extra reconciler passes beside the scheduler's, counted, so both deployments hunt all the time. */
async function reconcileLoop(d: Deployment, until: number): Promise<void> {
  while (Date.now() < until) {
    const stats = await d.runtime.scheduler.run('reconciler');
    d.figures.reconcilerPasses++;
    d.figures.zombiesDeleted += stats.acted;
    await sleep(500);
  }
}

/** Every row that says READY or SUSPENDED must have its stack, in that state; nothing may have been written off. */
async function audit(d: Deployment): Promise<void> {
  const stacks = d.runtime.ctx.stacks;
  for (const row of await stacks.list({ limit: 10_000 })) {
    const events = await stacks.events(row.id);
    for (const e of events)
      if (e.actor === 'reconciler' && e.toState === 'DELETED') d.figures.violations.push(`${d.label}: ${row.providerStackName} vanished behind the store's back (${e.reason})`);
    if (row.state !== 'READY' && row.state !== 'SUSPENDED' && row.state !== 'SHELVED') continue;
    const live = await d.provider.get({ id: row.providerStackId ?? '', name: row.providerStackName });
    // Heat knows nothing of shelving: a shelved stack is a suspended one there.
    const want = row.state === 'READY' ? ['CREATE', 'RESUME'] : ['SUSPEND'];
    if (!live || !want.includes(live.action) || live.status !== 'COMPLETE')
      d.figures.violations.push(`${d.label}: ${row.providerStackName} is ${row.state} in the store but ${live ? `${live.action}_${live.status}` : 'gone'} on ${d.provider.name}`);
  }
}

async function cleanUp(d: Deployment): Promise<void> {
  const stacks = d.runtime.ctx.stacks;
  for (const row of await stacks.list({ limit: 10_000 })) {
    if (row.state === 'DELETED') continue;
    const settled = await waitSettled(d, row.id).catch(() => row);
    if (settled.state !== 'DELETED') await stacks.requestDelete(row.id, 'chaos-cleanup').catch(() => undefined);
  }
  for (const row of await stacks.list({ limit: 10_000 })) await waitSettled(d, row.id, 120_000).catch((e: Error) => d.figures.failures.push(`cleanup: ${e.message}`));
  const left = (await d.provider.list()).filter((s) => isOwnStackName(s.name, d.runtime.ctx.deployment) && !(s.action === 'DELETE' && s.status === 'COMPLETE'));
  if (left.length) d.figures.failures.push(`cleanup: ${left.length} stack(s) of ${d.label} still on ${d.provider.name}: ${left.map((s) => s.name).join(', ')}`);
}

async function campaign(kind: string): Promise<Figures[]> {
  const shared = { fakeDir: join('/tmp', `stacklab-chaos-fake-${process.pid}`) };
  const started = Date.now();
  // Starting (an embedded store each) is slow on a loaded host; it gets its own bound.
  const starting = giveUpAfter(600_000, 'starting the two deployments');
  const pair = [await startDeployment('A', kind, shared), await startDeployment('B', kind, shared)];
  clearTimeout(starting);
  const working = giveUpAfter((SECONDS + 600) * 1000, `${SECONDS} s of churn and then settling and cleaning up`);
  console.log(`two-deployments on ${kind}: A=${pair[0]!.runtime.ctx.deployment} B=${pair[1]!.runtime.ctx.deployment}, ${LEARNERS} learners each, ${SECONDS} s of churn`);
  const until = Date.now() + SECONDS * 1000;
  try {
    await Promise.all(
      pair.flatMap((d) => [
        reconcileLoop(d, until),
        ...Array.from({ length: LEARNERS }, (_, i) => learnerLoop(d, `learner-${i}`, until).catch((e: Error) => void d.figures.failures.push(`learner-${i}: ${e.message}`))),
      ]),
    );
    // One more pass each once all work has settled, then the audit.
    for (const d of pair) for (const row of await d.runtime.ctx.stacks.list({ limit: 10_000 })) await waitSettled(d, row.id).catch(() => undefined);
    for (const d of pair) {
      await reconcileLoop(d, Date.now() + 1);
      await audit(d);
    }
  } finally {
    for (const d of pair) await cleanUp(d).catch((e: Error) => d.figures.failures.push(`cleanup: ${e.message}`));
    for (const d of pair) {
      await d.runtime.close();
      await d.runtime.ctx.db.close();
      if (kind === 'lxc') rmSync(join('/var/lib/stacklab/lxc/deployments', d.runtime.ctx.deployment), { recursive: true, force: true });
    }
    rmSync(shared.fakeDir, { recursive: true, force: true });
    running.length = 0;
    clearTimeout(working);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  for (const d of pair) {
    const f = d.figures;
    console.log(
      `  ${d.label} (${d.runtime.ctx.deployment}): ${f.launches} launches, ${f.suspends} suspends, ${f.resumes} resumes, ${f.deletes} deletes, ` +
        `${f.reconcilerPasses} reconciler passes (${f.zombiesDeleted} acted), ${f.providerDeletes} provider deletes, ${f.failures.length} failures, ${f.violations.length} violations`,
    );
    for (const x of f.failures.slice(0, 5)) console.log(`    failure: ${x.slice(0, 200)}`);
    for (const v of f.violations.slice(0, 10)) console.log(`    VIOLATION: ${v}`);
  }
  console.log(`  ${kind}: ${seconds} s in all`);
  return pair.map((d) => d.figures);
}

const results: Figures[] = [];
try {
  results.push(...(await campaign(args.runtime!)));
  if (args.heat) results.push(...(await campaign('heat')));
} catch (error) {
  console.error(`two-deployments: could not run: ${(error as Error).message}`);
  process.exit(2);
}
const violations = results.reduce((n, f) => n + f.violations.length, 0);
console.log(violations ? `two-deployments: ${violations} violation(s)` : 'two-deployments: no violations: neither deployment lost a stack to the other');
process.exit(violations ? 1 : 0);
