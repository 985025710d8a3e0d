/**
 * Local runtime benchmarks on real containers: launch to first SSH login (single server and the
 * ten-server lab), suspend, resume to SSH login, delete, and memory per idle server. Needs root,
 * lxc and a built debian-12 image (`stacklab image build debian-12`); the image build is not timed.
 */
import { containerMemory } from '../src/providers/lxc/containers.ts';
import { fillKeyPool } from '../src/providers/lxc/keys.ts';
import type { Provider, StackRef } from '../src/providers/provider.ts';
import { labTemplate, lxcMissing, testProvider, uniqueName, waitFor } from '../test/lxc/support.ts';
import { waitForLogin } from '../test/lxc/ssh.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LXC_HOME } from '../test/lxc/support.ts';
import type { BenchResult } from './types.ts';

async function launchToLogin(provider: Provider, lab: string): Promise<{ ref: StackRef; ms: number; ip: string; key: string }> {
  const t0 = Date.now();
  const ref = await provider.create({ name: uniqueName(`b${lab.slice(0, 3)}`), template: labTemplate(lab), parameters: {}, timeoutSeconds: 300 });
  const done = await waitFor(provider, ref, 'CREATE', 300_000);
  if (done.status !== 'COMPLETE') throw new Error(`bench ${lab}: create ${done.status}: ${done.reason}`);
  const ip = String(done.outputs.public_ip);
  const key = String(done.outputs.private_key);
  await waitForLogin({ host: ip, username: 'training', privateKey: key }, 60_000);
  return { ref, ms: Date.now() - t0, ip, key };
}

export async function run(): Promise<BenchResult[]> {
  const missing = await lxcMissing();
  if (missing) return [{ name: 'lxc: skipped', value: 0, unit: '', note: missing }];
  const provider = testProvider();
  // A server's provider is long-lived: host network, first template load and the key pool are
  // ready before the first learner launches, so they are not part of a launch.
  await provider.list();
  await fillKeyPool();
  await provider.validate?.({ template: labTemplate('single-server'), parameters: {} });
  const results: BenchResult[] = [];
  const made: StackRef[] = [];
  try {
    const single = await launchToLogin(provider, 'single-server');
    made.push(single.ref);
    results.push({ name: 'lxc: launch to first SSH login, single server', value: single.ms, unit: 'ms', goal: '<= 1500 ms' });

    const ten = await launchToLogin(provider, 'ten-servers');
    made.push(ten.ref);
    results.push({ name: 'lxc: launch to first SSH login, 10-server lab', value: ten.ms, unit: 'ms', goal: '<= 5000 ms' });

    // Let the servers settle (first-boot scripts, journald) before measuring idle memory.
    await new Promise((r) => setTimeout(r, 3000));
    const state = JSON.parse(await readFile(join(LXC_HOME, 'stacks', `${ten.ref.name}.json`), 'utf8')) as { plan: { servers: { container: string }[] } };
    const mem = (await Promise.all(state.plan.servers.map((s) => containerMemory(s.container)))).filter((m): m is number => m !== null);
    if (mem.length) results.push({ name: 'lxc: memory per idle server', value: Math.round(mem.reduce((a, b) => a + b, 0) / mem.length / 1048576), unit: 'MiB', note: `cgroup usage, mean of ${mem.length} servers of the 10-server lab` });

    let t = Date.now();
    await provider.suspend(ten.ref);
    await waitFor(provider, ten.ref, 'SUSPEND');
    results.push({ name: 'lxc: suspend (10 servers)', value: Date.now() - t, unit: 'ms' });

    t = Date.now();
    await provider.resume(ten.ref);
    await waitForLogin({ host: ten.ip, username: 'training', privateKey: ten.key }, 30_000);
    results.push({ name: 'lxc: resume to SSH login (10 servers)', value: Date.now() - t, unit: 'ms', goal: '<= 500 ms' });

    t = Date.now();
    await provider.delete(ten.ref);
    if (await provider.get(ten.ref)) throw new Error('bench: stack still there after delete');
    results.push({ name: 'lxc: delete (10 servers)', value: Date.now() - t, unit: 'ms' });
    made.splice(made.indexOf(ten.ref), 1);

    t = Date.now();
    await provider.delete(single.ref);
    results.push({ name: 'lxc: delete (single server)', value: Date.now() - t, unit: 'ms' });
    made.splice(made.indexOf(single.ref), 1);
  } finally {
    for (const r of made) await provider.delete(r).catch(() => {});
    await provider.close?.();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit}${r.goal ? ` (goal ${r.goal})` : ''}${r.note ? ` — ${r.note}` : ''}`);
}
