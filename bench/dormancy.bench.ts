/**
 * What the shelved tier costs a learner: on one single-server lab through stacklab (service request ->
 * worker -> provider), N rounds of resume from suspended, shelve (by the suspender sweep), and wake from
 * shelved (unshelve, then Heat resume), on the test cloud of scripts/setup-openstack.sh. Twice: as the
 * demo member, whose servers stay SHELVED (the test cloud keeps shelved servers on the host and Nova's
 * policy refuses a member's offload), and as admin with shelve_offload, whose servers are offloaded and
 * scheduled again on wake. Nova runs its fake hypervisor driver: no disk is snapshotted or copied and no
 * guest boots, so these are stacklab's and Nova's API and scheduling times only; a real cloud adds the
 * snapshot upload and the boot (minutes). Skipped when the cloud is not there.
 */
import { createOpenStackProvider, type OpenStackProvider } from '../src/providers/openstack/provider.ts';
import type { OpenStackProviderOptions } from '../src/providers/openstack/options.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import { demoOptions, type HeatEnv } from '../test/openstack/heat-env.ts';
import { NOVA_MISSING, ensureNova } from '../test/openstack/nova-env.ts';
import { testRuntime } from '../test/support/test-runtime.ts';
import type { BenchResult } from './types.ts';
import { reached } from './heat-timing.ts';

const ROUNDS = 3;
const POLL_S = 0.2;
const LAB_DIR = new URL('../labs/single-server/', import.meta.url).pathname;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function adminOptions(env: HeatEnv): OpenStackProviderOptions {
  return {
    auth: { auth_url: env.authUrl, username: 'admin', password: env.vars.OS_PASSWORD ?? 'adminpass', project_name: 'admin', user_domain_name: 'Default', project_domain_name: 'Default' },
    region: env.vars.OS_REGION_NAME,
    request_timeout_seconds: 60,
  };
}

async function measure(name: string, options: OpenStackProviderOptions): Promise<{ resume: number[]; shelve: number[]; wake: number[] }> {
  const provider: OpenStackProvider = createOpenStackProvider(name, { ...options, can_shelve: true, shelve_offload: true });
  // Shelved one second after the last activity: the sweep finds it due as soon as it is suspended.
  const base = loadLab(LAB_DIR, { defaultProviders: [name] });
  const lab = { ...base, timeouts: { ...base.timeouts, shelveAfter: 1 } };
  const rt = await testRuntime({ providers: [provider], labs: [lab], overrides: { poll_interval: POLL_S } });
  // Real time: leases and deadlines behave as in production.
  Object.assign(rt.clock, { now: () => new Date() });
  rt.worker.start();
  const times = { resume: [] as number[], shelve: [] as number[], wake: [] as number[] };
  let id = '';
  try {
    const ready = reached(rt, (id = (await rt.ctx.stacks.launch({ learner: `bench-${process.pid}`, context: 'bench', lab: lab.id, actor: 'bench' })).id), 'READY');
    await ready;
    // Round 0 warms up (token, catalog, Nova's first shelve) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const suspend = async () => {
        const done = reached(rt, id, 'SUSPENDED');
        await rt.ctx.stacks.requestSuspend(id, 'bench');
        await done;
      };
      await suspend();
      const resume = await timed(async () => {
        const done = reached(rt, id, 'READY');
        await rt.ctx.stacks.requestResume(id, 'bench');
        await done;
      });
      await suspend();
      await new Promise((r) => setTimeout(r, 1000));
      const shelve = await timed(async () => {
        const done = reached(rt, id, 'SHELVED');
        await rt.scheduler.run('suspender');
        await done;
      });
      const wake = await timed(async () => {
        const done = reached(rt, id, 'READY');
        await rt.ctx.stacks.requestResume(id, 'bench');
        await done;
      });
      if (round === 0) continue;
      times.resume.push(resume);
      times.shelve.push(shelve);
      times.wake.push(wake);
    }
  } finally {
    if (id) {
      const deleted = reached(rt, id, 'DELETED').catch(() => undefined);
      await rt.ctx.stacks.requestDelete(id, 'bench').catch(() => undefined);
      await Promise.race([deleted, new Promise((r) => setTimeout(r, 120_000))]);
    }
    await rt.close();
  }
  return times;
}

export async function run(): Promise<BenchResult[] | { skipped: string }> {
  const env = await ensureNova();
  if (!env) return { skipped: NOVA_MISSING };
  const results: BenchResult[] = [];
  const configs = [
    { name: 'member', status: 'SHELVED', options: demoOptions(env, { request_timeout_seconds: 60 }) },
    { name: 'admin', status: 'SHELVED_OFFLOADED', options: adminOptions(env) },
  ];
  for (const c of configs) {
    const t = await measure(`bench-${c.name}`, c.options);
    const note = (xs: number[]) => `fake driver; all: ${xs.map(Math.round).join(', ')}`;
    results.push(
      { name: `dormancy (${c.name}): resume from SUSPENDED to READY (median of ${ROUNDS})`, value: median(t.resume), unit: 'ms', note: note(t.resume) },
      { name: `dormancy (${c.name}): shelve to ${c.status} (median of ${ROUNDS})`, value: median(t.shelve), unit: 'ms', note: note(t.shelve) },
      { name: `dormancy (${c.name}): wake from ${c.status} to READY (median of ${ROUNDS})`, value: median(t.wake), unit: 'ms', note: note(t.wake) },
      { name: `dormancy (${c.name}): wake / resume`, value: median(t.wake) / median(t.resume), unit: 'ratio', note: 'unshelve + Heat resume, against Heat resume alone' },
    );
  }
  return results;
}
