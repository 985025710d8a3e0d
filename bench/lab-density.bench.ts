/**
 * Issue 21's density question: how many READY single-server labs one machine holds while keystroke echo
 * through the gateway stays under DENSITY_P99_MS (50 ms) at p99. Steps up the number of running labs
 * (DENSITY_STEPS, default 50,100,200,300,400,500: learners' launches through stacklab, DENSITY_LAUNCH_BATCH
 * at a time); at each step every lab (or DENSITY_TERMINALS of them) gets a terminal through the real
 * gateway, as an open lab page has, and types for DENSITY_MEASURE_S seconds (a key every
 * DENSITY_KEY_MEAN_MS on average per terminal; bench/echo-client.ts, in a process of its own), and the
 * echo times are recorded with the host's memory, threads, load and the server's CPU. Stops at the first
 * step over the p99 limit, when a launch fails, below DENSITY_MIN_MEM_MIB of available memory, or past
 * BENCH_STOP_AT (an ISO time). DENSITY_READY_TIMEOUT_S (300): how long a launch may take before it counts as failed.
 * DENSITY_SETTLE_S (10): the pause between a step's last READY and its measurement.
 *
 * A whole stacklab on the shipped defaults with the sweeps on their timers; the lab's suspend timeout
 * is a day, so labs stay running without keepalives (a learner's page would send them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '../src/domain/lab.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import { containerMemory } from '../src/providers/lxc/containers.ts';
import { parseLxcOptions } from '../src/providers/lxc/options.ts';
import { deploymentDir } from '../src/providers/lxc/provider.ts';
import { LXC_DATA_DIR, REPO, lxcMissing } from '../test/lxc/support.ts';
import { hostFigures, labWorld, pastStopTime, percentile, runClient, systemdState, type LabWorld } from './lab-world.ts';
import type { BenchResult } from './types.ts';

const STEPS = (process.env.DENSITY_STEPS ?? '50,100,200,300,400,500').split(',').map(Number);
const BATCH = Number(process.env.DENSITY_LAUNCH_BATCH ?? 25);
const MEASURE_S = Number(process.env.DENSITY_MEASURE_S ?? 30);
const KEY_MEAN_MS = Number(process.env.DENSITY_KEY_MEAN_MS ?? 2000);
const TERMINALS = process.env.DENSITY_TERMINALS ? Number(process.env.DENSITY_TERMINALS) : Infinity;
const P99_MS = Number(process.env.DENSITY_P99_MS ?? 50);
const MIN_MEM_MIB = Number(process.env.DENSITY_MIN_MEM_MIB ?? 1024);
const READY_TIMEOUT_S = Number(process.env.DENSITY_READY_TIMEOUT_S ?? 300);
/** Seconds between a step's last READY and its measurement: a lab's first minute is its boot's (systemd's start jobs), not its steady state. */
const SETTLE_S = Number(process.env.DENSITY_SETTLE_S ?? 10);
const COURSE = 'course-v1:Org+Density21+2026';
const DEPLOYMENT = 'benchdense';
const log = (line: string) => console.error(`# lab-density ${new Date().toISOString().slice(11, 19)} ${line}`);

interface Row {
  labs: number;
  terminals: number;
  keys: number;
  lost: number;
  p50: number;
  p99: number;
  max: number;
  memAvailableMiB: number;
  labMemMiB: number;
  labPids: number;
  labInotify: number;
  threads: number;
  /** Entries in the host's neighbour (ARP) table, all namespaces (capped by gc_thresh3). */
  neighbours: number;
  load1: number;
  serverCpuPct: number;
  clientCpuPct: number;
  serverRssMiB: number;
  stepSeconds: number;
  /** systemd's own word in the step's newest lab: running, or degraded. */
  newestLab: string;
}

/** The containers of the deployment's stacks, from their state files. */
async function containers(): Promise<string[]> {
  const dir = join(deploymentDir(parseLxcOptions({ dataDir: LXC_DATA_DIR }), DEPLOYMENT), 'stacks');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of await readdir(dir)) {
    try {
      out.push(...((JSON.parse(await readFile(join(dir, f), 'utf8')) as { plan?: { servers: { container: string }[] } }).plan?.servers.map((s) => s.container) ?? []));
    } catch {
      // A stack removed meanwhile.
    }
  }
  return out;
}

/**
 * Inotify instances held by the labs' processes (host uids of the labs' id range): systemd in each lab
 * takes several, and every container of the host's id range draws on one fs.inotify.max_user_instances.
 * Read without blocking: the gateway under test runs in this process, and the synchronous walk of /proc
 * (2,100 lab processes, ~35,000 file descriptors at 300 labs) held its event loop for ~0.3-0.5 s halfway
 * through every measurement, which alone put ~50 keys of a 20 s step at 300 labs past 50 ms.
 */
async function labInotify(): Promise<number> {
  let n = 0;
  for (const pid of (await readdir('/proc')).filter((f) => /^\d+$/.test(f))) {
    try {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (uid < 100_000) continue;
      for (const fd of await readdir(`/proc/${pid}/fd`)) if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === 'anon_inode:inotify') n++;
    } catch {
      // A process that ended meanwhile.
    }
  }
  return n;
}

async function labFigures(): Promise<{ memMiB: number; pids: number; inotify: number }> {
  let mem = 0;
  let pids = 0;
  for (const c of await containers()) {
    mem += (await containerMemory(c)) ?? 0;
    const v1 = `/sys/fs/cgroup/pids/lxc.payload.${c}/pids.current`;
    const v2 = `/sys/fs/cgroup/lxc.payload.${c}/pids.current`;
    pids += Number((await readFile(v1, 'utf8').catch(() => readFile(v2, 'utf8')).catch(() => '0')).trim());
  }
  return { memMiB: Math.round(mem / 1048576), pids, inotify: await labInotify() };
}

/** Launches learners' labs until `target` run, BATCH at a time; throws with the first failure. */
async function growTo(world: LabWorld, lab: Lab, learners: { learner: string; stackId: string }[], target: number): Promise<void> {
  while (learners.length < target) {
    if (world.stopping) throw new Error('stopped');
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, target - learners.length) }, async (_, i) => {
        const learner = `dense-${learners.length + i}`;
        const stack = await world.runtime.ctx.stacks.launch({ learner, context: COURSE, lab: lab.id, actor: 'bench' });
        return { learner, stackId: stack.id };
      }),
    );
    learners.push(...batch);
    await Promise.all(batch.map((b) => world.runtime.ctx.stacks.waitForState(b.stackId, ['READY'], READY_TIMEOUT_S * 1000, 500)));
  }
}

async function measure(world: LabWorld, learners: { learner: string; stackId: string }[]): Promise<Omit<Row, 'labs' | 'stepSeconds' | 'newestLab'>> {
  const chosen = learners.slice(0, Math.min(TERMINALS, learners.length));
  const terminals = await Promise.all(chosen.map(async (l) => ({ session: await world.session(l.learner, COURSE), stackId: l.stackId })));
  let cpu0 = process.cpuUsage();
  let at0 = Date.now();
  let mid: (ReturnType<typeof hostFigures> & { labs: ReturnType<typeof labFigures> }) | undefined;
  let midTimer: NodeJS.Timeout | undefined;
  const plan = { base: world.base, terminals, openConcurrency: 20, measureMs: MEASURE_S * 1000, keyMeanMs: KEY_MEAN_MS, keyTimeoutMs: 5000 };
  type Line = { phase: string; opened: number; failed: number; openMs: number; lost?: number; rtts?: number[]; openErrors?: string[]; cpuMs?: number };
  const { lines, cpuMs } = await runClient<Line>('echo-client.ts', plan, (l) => {
    if (l.phase !== 'measuring') return;
    log(`${l.opened} terminals open in ${Math.round(l.openMs / 1000)} s (${l.failed} failed); typing for ${MEASURE_S} s`);
    cpu0 = process.cpuUsage();
    at0 = Date.now();
    // Halfway through the typing: every terminal open, its shell and cat running in the lab.
    midTimer = setTimeout(() => (mid = { ...hostFigures(), labs: labFigures() }), (MEASURE_S * 1000) / 2);
  });
  const cpu = process.cpuUsage(cpu0);
  const wall = Date.now() - at0;
  clearTimeout(midTimer);
  const done = lines.at(-1)!;
  if (done.failed) log(`terminals that did not open: ${done.failed}, e.g. ${done.openErrors?.[0]}`);
  const rtts = [...(done.rtts ?? [])].sort((a, b) => a - b);
  const host = mid ?? { ...hostFigures(), labs: labFigures() };
  const labs = await host.labs;
  return {
    terminals: done.opened,
    keys: rtts.length,
    lost: done.lost ?? 0,
    p50: percentile(rtts, 50),
    p99: percentile(rtts, 99),
    max: rtts.at(-1) ?? NaN,
    memAvailableMiB: host.memAvailableMiB,
    labMemMiB: labs.memMiB,
    labPids: labs.pids,
    labInotify: labs.inotify,
    threads: host.threads,
    neighbours: host.neighbours,
    load1: host.load1,
    serverCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 100),
    clientCpuPct: Math.round((cpuMs / wall) * 100),
    serverRssMiB: Math.round(process.memoryUsage().rss / 1048576),
  };
}

export async function run(): Promise<BenchResult[]> {
  const missing = await lxcMissing();
  if (missing) return [{ name: 'lab-density: skipped', value: 0, unit: '', note: missing }];
  const base = loadLab(join(REPO, 'labs', 'single-server'), { defaultProviders: ['local'] });
  const lab: Lab = { ...base, id: 'dense-single', timeouts: { ...base.timeouts, suspend: 86_400 } };
  const start = hostFigures();
  const inotifyMax = readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim();
  log(`before any lab: ${start.memAvailableMiB} MiB available, ${start.threads} threads, load ${start.load1}, fs.inotify.max_user_instances ${inotifyMax}`);
  const world = await labWorld({ deployment: DEPLOYMENT, labs: [lab], log, cleanup: 'provider' });
  world.runtime.scheduler.start();
  const rows: Row[] = [];
  const learners: { learner: string; stackId: string }[] = [];
  let limit = `the last step (${STEPS.at(-1)}) was reached`;
  try {
    for (const target of STEPS) {
      if (pastStopTime()) {
        limit = `BENCH_STOP_AT was reached before the step to ${target}`;
        break;
      }
      const t0 = Date.now();
      try {
        await growTo(world, lab, learners, target);
      } catch (error) {
        // The wait's own error is a sentence for a learner; the failed stack says what happened.
        const stacks = await world.runtime.ctx.stacks.list({ lab: lab.id, limit: 100_000 });
        const failed = stacks.filter((s) => s.state.endsWith('_FAILED'));
        limit = `a launch failed on the way to ${target} (${stacks.filter((s) => s.state === 'READY').length} READY, ${failed.length} failed): ${failed[0]?.error ?? (error as Error).message}`;
        break;
      }
      const stepSeconds = Math.round((Date.now() - t0) / 1000);
      log(`${target} labs READY (${stepSeconds} s to launch the step); settling ${SETTLE_S} s`);
      await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
      const newestLab = await systemdState(world, learners.at(-1)!.stackId);
      const row = { labs: target, stepSeconds, newestLab, ...(await measure(world, learners)) };
      rows.push(row);
      log(JSON.stringify(row));
      if (row.p99 > P99_MS) {
        limit = `echo p99 ${row.p99} ms > ${P99_MS} ms at ${target} labs`;
        break;
      }
      if (row.memAvailableMiB < MIN_MEM_MIB) {
        limit = `memory available ${row.memAvailableMiB} MiB < ${MIN_MEM_MIB} MiB at ${target} labs`;
        break;
      }
    }
  } finally {
    log(`stopped: ${limit}`);
    const t0 = Date.now();
    await world.close();
    log(`cleaned up in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  console.table(rows);
  const held = rows.filter((r) => r.p99 <= P99_MS).at(-1);
  const firstDegraded = rows.find((r) => r.newestLab !== 'running');
  return [
    { name: 'lab-density: READY labs with echo p99 under the limit', value: held?.labs ?? 0, unit: 'labs', goal: '>= 300', met: (held?.labs ?? 0) >= 300, note: `stopped: ${limit}; before any lab ${start.memAvailableMiB} MiB available, load ${start.load1}; fs.inotify.max_user_instances ${inotifyMax}; first step whose newest lab was not running: ${firstDegraded ? `${firstDegraded.labs} (${firstDegraded.newestLab})` : 'none'}` },
    ...rows.map((r) => ({ name: `lab-density: ${r.labs} labs, echo p50 / p99`, value: r.p99, unit: 'ms', note: JSON.stringify(r) })),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` — ${r.note}` : ''}`);
}
