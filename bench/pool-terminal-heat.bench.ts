/**
 * Issue 21 on the real Heat: a learner's first launch, from the click to the shell prompt in the lab
 * page's terminal, with a warm pool kept running (the claim needs no resume, only the personalization)
 * and without a pool (a fresh Heat create), interleaved in one run so the machine's noise hits both.
 *
 * Real: Keystone + Heat + Nova/Neutron (scripts/setup-openstack.sh), the single-server lab's own
 * template (network, router, OS::Nova::KeyPair with the platform's key, a real OS::Nova::Server on
 * Nova's fake driver, floating IP), stacklab's whole server on PostgreSQL (shipped defaults, the pool
 * filler, the worker, the learner API, the gateway), the personalization over SSH with the pool
 * stack's key, the gateway's terminal over SSH with the learner's new key.
 * A STAND-IN: the VM. The fake driver boots nothing, so the template's `public_ip` output is an
 * OS::Heat::Value the bench sets to one real container's address (bench/ssh-standin.ts), and the bench
 * installs each stack's public key in it the moment Heat accepts the create, as cloud-init would at
 * boot. So the no-pool side leaves out a real VM's boot (tens of seconds): it is a floor.
 * "Click" is the lab page's API launch (GET the lab, POST launch, the page's waiting status request,
 * POST a connection, the gateway's WebSocket), as bench/class-client.ts does; not the LTI launch
 * before it (test/lti needs the LTI emulator; that is one redirect, the same with and without a pool).
 *
 * Env: POOL_HEAT_LEARNERS (with a pool, default 20; plus one warm-up learner not counted),
 * POOL_HEAT_PLAIN (without, default 6), POOL_HEAT_POLL_INTERVAL (the server's poll_interval; default
 * the shipped one). After a crash: `node --import tsx bench/lab-world.ts cleanup benchpoolht` removes
 * the container; Heat stacks named stacklab-benchpoolht-* are the bench's own.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createRuntime } from '../src/app/create-context.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { mapCatalog } from '../src/domain/lab-catalog.ts';
import type { Lab } from '../src/domain/lab.ts';
import { buildApp } from '../src/http/app.ts';
import { issueSession } from '../src/http/session.ts';
import { Keys } from '../src/infra/keys.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import { createOpenStackProvider } from '../src/providers/openstack/provider.ts';
import { deploymentPrefix } from '../src/providers/stack-names.ts';
import { fillPlatformKeyPool } from '../src/services/platform-key-pair.ts';
import { demoOptions } from '../test/openstack/heat-env.ts';
import { NOVA_MISSING, ensureNova } from '../test/openstack/nova-env.ts';
import { deleteAndWait } from '../test/openstack/wait-stack.ts';
import { lxcMissing, REPO } from '../test/lxc/support.ts';
import { freshDatabase } from '../test/support/databases.ts';
import { hostFigures, percentile } from './lab-world.ts';
import { publicLine, startStandIn, type StandIn } from './ssh-standin.ts';
import { PROMPT, Terminal, learnerApi } from './terminal-socket.ts';
import type { BenchResult } from './types.ts';
import type { View } from './class-client.ts';

const POOLED = Number(process.env.POOL_HEAT_LEARNERS ?? 20);
const PLAIN = Number(process.env.POOL_HEAT_PLAIN ?? 6);
const DEPLOYMENT = 'benchpoolht';
const COURSE = 'course-v1:Org+PoolHeat+2026';
const log = (line: string) => console.error(`# pool-terminal-heat ${new Date().toISOString().slice(11, 19)} ${line}`);


/** Milliseconds from the click, per step. */
interface Timing {
  launch: number;
  personalizeStart?: number;
  personalize?: number;
  readyServer: number;
  readySeen: number;
  terminalOpen: number;
  prompt: number;
  retries: number;
}

/** The single-server template with its `public_ip` the stand-in's address, and no `run` (one pool for every course). */
function standInTemplate(): string {
  const original = readFileSync(join(REPO, 'labs', 'single-server', 'template.yaml'), 'utf8');
  const out = original
    .replace(/\n {2}run:\n( {4}.*\n)+/, '\n  standin_ip:\n    type: string\n    description: The stand-in VM (bench/ssh-standin.ts).\n')
    .replace(/\nresources:\n/, '\nresources:\n  standin:\n    type: OS::Heat::Value\n    properties:\n      value: { get_param: standin_ip }\n\n')
    .replace('value: { get_attr: [ floating_ip, floating_ip_address ] }', 'value: { get_attr: [ standin, value ] }');
  if (!out.includes('standin_ip:') || !out.includes('[ standin, value ]') || /\n {2}run:/.test(out)) throw new Error('pool-terminal-heat: labs/single-server/template.yaml changed shape; update standInTemplate()');
  return out;
}

export async function run(): Promise<BenchResult[] | { skipped: string }> {
  const env = await ensureNova();
  if (!env) return { skipped: NOVA_MISSING };
  const missing = await lxcMissing();
  if (missing) return { skipped: `the stand-in VM needs the local runtime: ${missing}` };
  const heat = createOpenStackProvider('openstack', demoOptions(env, { request_timeout_seconds: 60 }));
  const prefix = deploymentPrefix(DEPLOYMENT);
  const removeHeatStacks = async () => {
    const fresh = createOpenStackProvider('openstack', demoOptions(env, { request_timeout_seconds: 60 }));
    const ours = (await fresh.list()).filter((s) => s.name.startsWith(prefix) && !(s.action === 'DELETE' && s.status === 'COMPLETE'));
    await Promise.all(ours.map((s) => deleteAndWait(fresh, { id: s.id, name: s.name }, 300_000).catch((e: Error) => log(`could not delete ${s.name}: ${e.message}`))));
    await fresh.close?.();
    return ours.length;
  };
  const stale = await removeHeatStacks();
  if (stale) log(`removed ${stale} Heat stacks a previous run left`);

  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: Error) => log(`clean-up: ${e.message}`));
  };
  const onSignal = () => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timings = { pooled: [] as Timing[], plain: [] as Timing[] };
  const before = hostFigures();
  try {
    log('starting the stand-in VM (a container of the local runtime)');
    const standIn: StandIn = await startStandIn(DEPLOYMENT);
    cleanups.push(() => standIn.close());
    const base = loadLab(join(REPO, 'labs', 'single-server'), { defaultProviders: ['openstack'] });
    const template = standInTemplate();
    const common = { ...base, template, parameters: { ...base.parameters, standin_ip: standIn.host }, providers: base.providers.map((p) => ({ ...p, template })) };
    const pooledLab: Lab = { ...common, id: 'poolheat-pooled', pool: { size: POOLED + 1, state: 'running', perRun: false, runs: [] } };
    const plainLab: Lab = { ...common, id: 'poolheat-plain' };

    await fillPlatformKeyPool();
    const database = await freshDatabase('postgres');
    cleanups.push(() => database.drop());
    const dataDir = mkdtempSync(join(tmpdir(), 'stacklab-bench-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const poll = process.env.POOL_HEAT_POLL_INTERVAL ? { poll_interval: Number(process.env.POOL_HEAT_POLL_INTERVAL) } : {};
    const { config } = loadConfig({ env: {}, overrides: { api_token: 'bench-token-0123456789abcdef', data_dir: dataDir, deployment_id: DEPLOYMENT, log_level: 'silent', ...poll } });
    const runtime = await createRuntime({ config, db: database.db, providers: [heat], labs: mapCatalog([pooledLab, plainLab]), keys: Keys.ephemeral(), logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }) });
    cleanups.push(() => runtime.close());
    cleanups.push(() => removeHeatStacks());
    const app = await buildApp(runtime.ctx);
    await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close());
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // Deleted through the lifecycle first (the clean-ups run in reverse: this one before the runtime closes).
    cleanups.push(async () => {
      const stacks = (await runtime.ctx.stacks.list({ limit: 1000 })).filter((s) => s.state !== 'DELETED');
      for (const s of stacks) await runtime.ctx.stacks.requestDelete(s.id, 'bench').catch(() => undefined);
      await Promise.all(stacks.map((s) => runtime.ctx.stacks.waitForState(s.id, ['DELETED'], 600_000).catch(() => undefined)));
    });
    runtime.worker.start();

    // The personalization's start and length, per stack, around stacklab's own.
    const personalized = new Map<string, { start: number; ms: number }>();
    const hooks = runtime.ctx.lifecycleHooks;
    const original = hooks.personalize;
    if (!original) throw new Error('pool-terminal-heat: the runtime has no personalization hook');
    hooks.personalize = async (stack, poolSecrets, fresh) => {
      const start = Date.now();
      await original.call(hooks, stack, poolSecrets, fresh);
      personalized.set(stack.id, { start, ms: Date.now() - start });
    };
    // cloud-init's part: each stack's public key into the stand-in once Heat has accepted its create.
    const installed = new Set<string>();
    const installKeys = async () => {
      for (const s of await runtime.ctx.stacks.list({ limit: 1000 })) {
        if (!s.providerStackId || installed.has(s.id) || s.state === 'DELETED') continue;
        const { privateKey } = await runtime.ctx.stacks.secrets(s.id);
        if (!privateKey) continue;
        await standIn.installKey(publicLine(privateKey));
        installed.add(s.id);
      }
    };

    log(`filling the pool: ${POOLED + 1} Heat stacks, kept running`);
    const fillStart = Date.now();
    // A pool stack that fails is deleted and replaced by the filler, as in a deployment: the fill waits
    // for the replacement, and gives up only when failures are the rule (a cloud that cannot create).
    const failed = new Map<string, string>();
    for (;;) {
      await runtime.scheduler.runJob('warm pools');
      await installKeys();
      const [view] = (await runtime.ctx.pools.list()).filter((v) => v.lab === pooledLab.id);
      const rows = (await runtime.ctx.stacks.list({ lab: pooledLab.id, limit: 1000 })).filter((s) => s.pool && s.state !== 'DELETED');
      for (const s of rows.filter((r) => r.state.endsWith('FAILED') && !failed.has(r.id))) {
        failed.set(s.id, s.error ?? s.state);
        log(`a pool stack failed (${failed.size} so far), the filler replaces it: ${s.error ?? s.state}`);
      }
      if (failed.size > POOLED) throw new Error(`pool-terminal-heat: ${failed.size} pool stacks failed; the last: ${[...failed.values()].at(-1)}`);
      if (view?.ready === POOLED + 1 && rows.every((s) => s.state === 'READY')) break;
      if (Date.now() - fillStart > 900_000) throw new Error(`pool-terminal-heat: the pool did not fill in 15 min: ${JSON.stringify(view)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    await installKeys();
    log(`pool filled in ${Math.round((Date.now() - fillStart) / 1000)} s (${failed.size} pool stacks failed and were replaced on the way)`);

    const learner = async (lab: Lab, name: string): Promise<Timing> => {
      const session = await issueSession(runtime.ctx.keys, { learner: name, context: COURSE, roles: ['Learner'] }, 7200);
      const path = `/api/v1/me/labs/${encodeURIComponent(lab.id)}`;
      const t0 = Date.now();
      await learnerApi(url, session, 'GET', path);
      let view = await learnerApi<View>(url, session, 'POST', `${path}/launch`);
      const launch = Date.now() - t0;
      while (view.phase !== 'ready') {
        if (view.phase === 'failed' || Date.now() - t0 > 300_000) throw new Error(`pool-terminal-heat: ${name}'s stack ${view.state}: ${view.error ?? 'no READY in 300 s'}`);
        view = await learnerApi<View>(url, session, 'GET', `/api/v1/me/stacks/${view.id}${view.version ? `?wait=20&since=${encodeURIComponent(view.version)}` : ''}`);
      }
      const readySeen = Date.now() - t0;
      let retries = 0;
      let terminalOpen: number;
      // As the page: a failed connection is tried again after 1 s, 2 s, ...
      for (let delay = 1000; ; delay = Math.min(delay * 2, 10_000)) {
        try {
          const terminal = await Terminal.open(url, session, view.id);
          terminalOpen = Date.now() - t0;
          await terminal.waitFor(PROMPT, 60_000).finally(() => terminal.close());
          break;
        } catch (error) {
          if (++retries > 5) throw error;
          log(`${name}: terminal failed, again in ${delay} ms: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      const prompt = Date.now() - t0;
      const p = personalized.get(view.id);
      return { launch, readyServer: Date.parse(view.stateChangedAt) - t0, readySeen, terminalOpen, prompt, retries, ...(p ? { personalizeStart: p.start - t0, personalize: p.ms } : {}) };
    };

    // Interleaved: a plain launch after every few pooled ones; a warm-up pooled learner first, not counted.
    await learner(pooledLab, 'warmup');
    const every = Math.max(1, Math.ceil(POOLED / Math.max(PLAIN, 1)));
    const order: Array<'pooled' | 'plain'> = [];
    for (let i = 0; i < POOLED; i++) {
      order.push('pooled');
      if ((i + 1) % every === 0 && order.filter((o) => o === 'plain').length < PLAIN) order.push('plain');
    }
    while (order.filter((o) => o === 'plain').length < PLAIN) order.push('plain');
    for (const [i, kind] of order.entries()) {
      if (kind === 'pooled') {
        const t = await learner(pooledLab, `pooled-${i}`);
        if (t.personalize === undefined) throw new Error('pool-terminal-heat: a pooled launch was not personalized: it did not take from the pool');
        timings.pooled.push(t);
      } else {
        // The key goes in while Heat creates, as cloud-init would at the VM's boot.
        let running = true;
        const keys = (async () => {
          while (running) {
            await installKeys();
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
        try {
          timings.plain.push(await learner(plainLab, `plain-${i}`));
        } finally {
          running = false;
          await keys;
        }
      }
      const t = (kind === 'pooled' ? timings.pooled : timings.plain).at(-1)!;
      log(`${kind} ${i}: prompt ${t.prompt} ms (READY ${t.readyServer}, seen ${t.readySeen}, terminal open ${t.terminalOpen}${t.personalize === undefined ? '' : `, personalize ${t.personalizeStart}+${t.personalize}`})`);
    }
  } finally {
    log('cleaning up: the stacks, the server, the stand-in');
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await heat.close?.();
  }
  const after = hostFigures();
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50: percentile(s, 50), p95: percentile(s, 95) };
  };
  const pooled = stat(timings.pooled.map((t) => t.prompt));
  const plain = stat(timings.plain.map((t) => t.prompt));
  const steps = (['launch', 'personalizeStart', 'personalize', 'readyServer', 'readySeen', 'terminalOpen', 'prompt'] as const)
    .map((k) => {
      const s = stat(timings.pooled.map((t) => t[k] ?? NaN));
      return `${k} ${Math.round(s.p50)}/${Math.round(s.p95)}`;
    })
    .join(', ');
  const load = `load ${before.load1} -> ${after.load1}`;
  return [
    { name: 'pool-terminal-heat: click to prompt p95, running pool', value: pooled.p95, unit: 'ms', goal: '< 1000 ms', met: pooled.p95 < 1000, note: `${timings.pooled.length} learners, p50 ${Math.round(pooled.p50)} ms; ${load}` },
    { name: 'pool-terminal-heat: pooled steps from the click, p50/p95', value: pooled.p50, unit: 'ms', note: steps },
    { name: 'pool-terminal-heat: click to prompt p95, no pool (Heat create)', value: plain.p95, unit: 'ms', note: `${timings.plain.length} learners, p50 ${Math.round(plain.p50)} ms, all ${timings.plain.map((t) => t.prompt).join(', ')}; stand-in VM: no boot time` },
    { name: 'pool-terminal-heat: no pool / running pool, p50 click to prompt', value: plain.p50 / pooled.p50, unit: 'x', note: `same run, interleaved; p95 ratio ${(plain.p95 / pooled.p95).toFixed(1)}` },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run().then((r) => ('skipped' in r ? [{ name: 'skipped', value: 0, unit: '', note: r.skipped }] : r))) console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` — ${r.note}` : ''}`);
}
