/**
 * Warm pools on the local runtime (docs/pools.md), through stacklab's own runtime on real containers:
 * the time from a learner's launch to READY, and to their first SSH login with their own key, for a
 * lab without a pool, with a suspended pool (resume + personalization) and with a running pool
 * (personalization only), in the same run, and the ratio against no pool. The pools are filled before
 * the clock starts, as a class's pool is before the class. Needs what the lxc tests need.
 */
import { join } from 'node:path';
import { loadLab } from '../src/labs/load-labs.ts';
import type { Lab } from '../src/domain/lab.ts';
import { fillKeyPool } from '../src/providers/lxc/keys.ts';
import { fillPlatformKeyPool } from '../src/services/platform-key-pair.ts';
import { testRuntime, type TestRuntime } from '../test/support/test-runtime.ts';
import { waitForLogin } from '../test/lxc/ssh.ts';
import { LXC_TEST_DEPLOYMENT, REPO, lxcMissing, testProvider } from '../test/lxc/support.ts';
import type { BenchResult } from './types.ts';

const ROUNDS = Number(process.env.POOL_BENCH_ROUNDS ?? 3);
const MODES = [
  { id: 'plain', pool: undefined },
  { id: 'pool-suspended', pool: { size: ROUNDS, state: 'suspended' as const, perRun: false, runs: [] } },
  { id: 'pool-running', pool: { size: ROUNDS, state: 'running' as const, perRun: false, runs: [] } },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Filler passes until every pool holds its size in its state. */
async function fillPools(rt: TestRuntime, labs: Lab[]): Promise<void> {
  for (let pass = 0; pass < 20; pass++) {
    await rt.scheduler.runJob('warm pools');
    const views = await rt.ctx.pools.list();
    if (views.every((v) => v.ready === v.size && v.filling === 0)) {
      const rows = (await rt.ctx.stacks.list({ limit: 1000 })).filter((s) => s.pool);
      const wanted = (lab: string) => (labs.find((l) => l.id === lab)!.pool!.state === 'running' ? 'READY' : 'SUSPENDED');
      if (rows.every((s) => s.state === wanted(s.lab))) return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`bench pools: the pools did not fill: ${JSON.stringify(await rt.ctx.pools.list())}`);
}

export async function run(): Promise<BenchResult[]> {
  const missing = await lxcMissing();
  if (missing) return [{ name: 'pools: skipped', value: 0, unit: '', note: missing }];
  const base = loadLab(join(REPO, 'labs', 'single-server'), { defaultProviders: ['local'] });
  const labs: Lab[] = MODES.map((m) => ({ ...base, id: m.id, ...(m.pool ? { pool: m.pool } : {}) }));
  const provider = testProvider();
  // As in the lxc bench: the host network, the key pools and the first template load are ready before any learner.
  await provider.list();
  await fillKeyPool();
  await fillPlatformKeyPool();
  const rt = await testRuntime({ providers: [provider], labs, overrides: { deployment_id: LXC_TEST_DEPLOYMENT, poll_interval: 0.05, worker_concurrency: 8 } });
  rt.worker.start();
  const times = new Map<string, { ready: number[]; login: number[] }>(MODES.map((m) => [m.id, { ready: [], login: [] }]));
  try {
    await fillPools(rt, labs);
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of MODES) {
        await fillPlatformKeyPool();
        const t0 = performance.now();
        const launched = await rt.ctx.stacks.launch({ learner: `bench-${round}`, context: 'course-v1:Org+Bench+2026', lab: mode.id, actor: 'bench' });
        const ready = await rt.ctx.stacks.waitForState(launched.id, ['READY'], 300_000, 10);
        const readyMs = performance.now() - t0;
        if (mode.pool && !ready.claimedAt) throw new Error(`bench pools: ${mode.id} launch did not take from the pool`);
        const secrets = await rt.ctx.stacks.secrets(ready.id);
        await waitForLogin({ host: ready.publicIp!, username: 'training', privateKey: secrets.privateKey! }, 60_000);
        times.get(mode.id)!.ready.push(readyMs);
        times.get(mode.id)!.login.push(performance.now() - t0);
      }
    }
  } finally {
    for (const s of await rt.ctx.stacks.list({ limit: 1000 })) if (s.state !== 'DELETED') await rt.ctx.stacks.requestDelete(s.id, 'bench').catch(() => undefined);
    for (const s of await rt.ctx.stacks.list({ limit: 1000 })) await rt.ctx.stacks.waitForState(s.id, ['DELETED'], 120_000).catch(() => undefined);
    await rt.close();
    await provider.close?.();
  }
  const plain = times.get('plain')!;
  const results: BenchResult[] = [];
  for (const mode of MODES) {
    const t = times.get(mode.id)!;
    const note = `median of ${ROUNDS}; all: ${t.ready.map((x) => Math.round(x)).join(', ')} ms`;
    results.push({ name: `pools: launch to READY, ${mode.id}`, value: median(t.ready), unit: 'ms', note });
    results.push({ name: `pools: launch to first SSH login (own key), ${mode.id}`, value: median(t.login), unit: 'ms' });
    if (mode.pool) results.push({ name: `pools: no pool / ${mode.id}, launch to READY`, value: median(plain.ready) / median(t.ready), unit: 'x', note: 'same run' });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` — ${r.note}` : ''}`);
}
