/**
 * Issue 21's class: CLASS_LEARNERS learners (default 100) open the single-server lab at random moments
 * of a CLASS_WINDOW_S window (default 60 s) on the local runtime, each with a first launch as after an
 * LTI launch, and each learner's time from the click to the shell prompt in the browser's terminal is
 * recorded (bench/class-client.ts plays the lab pages, in a process of its own). Run twice in one
 * process, on the same moments: with a warm pool filled for the class by a class schedule (docs/pools.md,
 * "Schedules"), and without a pool (CLASS_BASELINE=0 leaves that out); the ratio is of the same run.
 *
 * A whole stacklab on the shipped defaults (poll interval 2 s, worker concurrency 200, the sweeps and
 * the filler on their timers), PostgreSQL when it answers, the real gateway. Env: CLASS_LEARNERS,
 * CLASS_WINDOW_S, CLASS_POOL_STATE (suspended | running), CLASS_PAGE_WAIT_S (the page's waiting status
 * request while a lab starts, 20; 0 = the page polls only, as before issue 21), CLASS_PAGE_POLL_MS (the
 * page's poll after a failed wait, 1500),
 * CLASS_POLL_INTERVAL (the server's poll_interval), CLASS_FILL_TIMEOUT_S, BENCH_STOP_AT (ISO time:
 * the baseline is left out when the pooled phase ends after it).
 */
import { join } from 'node:path';
import type { Lab } from '../src/domain/lab.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import { REPO, lxcMissing } from '../test/lxc/support.ts';
import { seeded } from './class-model.ts';
import type { LearnerTiming } from './class-client.ts';
import { hostFigures, labWorld, pastStopTime, percentile, runClient, systemdState, type LabWorld } from './lab-world.ts';
import type { BenchResult } from './types.ts';

const LEARNERS = Number(process.env.CLASS_LEARNERS ?? 100);
const WINDOW_S = Number(process.env.CLASS_WINDOW_S ?? 60);
const POOL_STATE = (process.env.CLASS_POOL_STATE ?? 'suspended') as 'suspended' | 'running';
const PAGE_POLL_MS = Number(process.env.CLASS_PAGE_POLL_MS ?? 1500);
const PAGE_WAIT_S = Number(process.env.CLASS_PAGE_WAIT_S ?? 20);
const FILL_TIMEOUT_S = Number(process.env.CLASS_FILL_TIMEOUT_S ?? 900);
const BASELINE = process.env.CLASS_BASELINE !== '0';
const COURSE = 'course-v1:Org+Class21+2026';
const DEPLOYMENT = 'benchclass';
const log = (line: string) => console.error(`# class-open ${new Date().toISOString().slice(11, 19)} ${line}`);

interface Phase {
  id: string;
  timings: LearnerTiming[];
  claimed: number;
  before: ReturnType<typeof hostFigures>;
  after: ReturnType<typeof hostFigures>;
  clientCpuMs: number;
  fillSeconds?: number;
  /** systemd's word in the last learner's lab: running, or degraded (the host's inotify instances ran out). */
  lastLab: string;
}

/** The filler's passes, as its timer would run them, until the class's pool holds every learner's stack. */
async function fillForClass(world: LabWorld, lab: Lab): Promise<number> {
  const t0 = Date.now();
  const { runtime } = world;
  const now = new Date();
  await runtime.ctx.schedules.add({ course: COURSE, lab: lab.id, start: now, end: new Date(now.getTime() + 2 * 3600_000), learners: LEARNERS, leadSeconds: 900 }, 'bench', now);
  const wanted = POOL_STATE === 'running' ? 'READY' : 'SUSPENDED';
  for (let last = ''; Date.now() - t0 < FILL_TIMEOUT_S * 1000; ) {
    if (world.stopping) throw new Error('class-open: stopped while the pool filled');
    await runtime.scheduler.runJob('warm pools');
    const [view] = (await runtime.ctx.pools.list()).filter((v) => v.lab === lab.id);
    const pooled = (await runtime.ctx.stacks.list({ lab: lab.id, limit: 100_000 })).filter((s) => s.pool && s.state !== 'DELETED');
    const settled = pooled.filter((s) => s.state === wanted).length;
    const line = `pool: ${settled} ${wanted} of ${LEARNERS} (${view?.filling ?? 0} filling, ${view?.stale ?? 0} stale)`;
    if (line !== last) log((last = line));
    if (view && view.size === LEARNERS && view.ready === LEARNERS && view.filling === 0 && settled === LEARNERS) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`class-open: the pool did not fill within ${FILL_TIMEOUT_S} s`);
}

async function classPhase(world: LabWorld, lab: Lab, moments: number[]): Promise<Phase> {
  const learners = await Promise.all(moments.map(async (atMs, i) => ({ learner: `${lab.id}-${i}`, session: await world.session(`${lab.id}-${i}`, COURSE), atMs })));
  const before = hostFigures();
  log(`${lab.id}: ${LEARNERS} learners over ${WINDOW_S} s (load ${before.load1})`);
  let done = 0;
  const { lines, cpuMs } = await runClient<LearnerTiming & { done?: boolean }>('class-client.ts', { base: world.base, lab: lab.id, pollMs: PAGE_POLL_MS, waitSeconds: PAGE_WAIT_S, startAt: Date.now() + 2000, learners }, (l) => {
    if (!l.done && ++done % 10 === 0) log(`${lab.id}: ${done} of ${LEARNERS} at their prompt (or failed)`);
  });
  const after = hostFigures();
  const timings = lines.filter((l) => !l.done);
  let claimed = 0;
  for (const t of timings) if (t.stackId && (await world.runtime.ctx.stacks.get(t.stackId)).claimedAt) claimed++;
  const last = timings.filter((t) => t.stackId).at(-1);
  const lastLab = last ? await systemdState(world, last.stackId!) : 'none';
  return { id: lab.id, timings, claimed, before, after, clientCpuMs: cpuMs, lastLab };
}

/** Deletes the phase's stacks through the lifecycle, so the next phase starts on an empty host. */
async function clearLab(world: LabWorld, lab: string): Promise<void> {
  const stacks = (await world.runtime.ctx.stacks.list({ lab, limit: 100_000 })).filter((s) => s.state !== 'DELETED');
  for (const s of stacks) await world.runtime.ctx.stacks.requestDelete(s.id, 'bench');
  await Promise.all(stacks.map((s) => world.runtime.ctx.stacks.waitForState(s.id, ['DELETED'], 600_000)));
}

function summary(phase: Phase): { p50: number; p95: number; max: number; ok: number; text: string } {
  const prompt = phase.timings.flatMap((t) => (t.promptMs === undefined ? [] : [t.promptMs])).sort((a, b) => a - b);
  const ready = phase.timings.flatMap((t) => (t.readyServerMs === undefined ? [] : [t.readyServerMs])).sort((a, b) => a - b);
  const seen = phase.timings.flatMap((t) => (t.readySeenMs === undefined ? [] : [t.readySeenMs])).sort((a, b) => a - b);
  const failed = phase.timings.filter((t) => t.error);
  const retried = phase.timings.filter((t) => t.retries).length;
  const waitFailed = phase.timings.filter((t) => t.waitFailures);
  const p = (xs: number[]) => `p50 ${Math.round(percentile(xs, 50))} / p95 ${Math.round(percentile(xs, 95))} / max ${Math.round(xs.at(-1) ?? NaN)} ms`;
  const text =
    `${prompt.length}/${phase.timings.length} at the prompt, ${phase.claimed} from the pool, ${failed.length} failed${failed[0] ? ` (${failed[0].error})` : ''}, ` +
    `${retried} retried the terminal, ${waitFailed.length} fell back to polling${waitFailed[0] ? ` (${waitFailed[0].lastWaitFailure})` : ''}; READY on the server ${p(ready)}; READY seen by the page ${p(seen)}; ` +
    `load ${phase.before.load1} -> ${phase.after.load1}, learners' client CPU ${Math.round(phase.clientCpuMs)} ms, last learner's lab ${phase.lastLab}` +
    (phase.fillSeconds === undefined ? '' : `; pool filled in ${Math.round(phase.fillSeconds)} s`);
  return { p50: percentile(prompt, 50), p95: percentile(prompt, 95), max: prompt.at(-1) ?? NaN, ok: prompt.length, text };
}

export async function run(): Promise<BenchResult[]> {
  const missing = await lxcMissing();
  if (missing) return [{ name: 'class-open: skipped', value: 0, unit: '', note: missing }];
  const base = loadLab(join(REPO, 'labs', 'single-server'), { defaultProviders: ['local'] });
  const pooled: Lab = { ...base, id: 'class-pooled', pool: { size: 0, state: POOL_STATE, perRun: false, runs: [] } };
  const plain: Lab = { ...base, id: 'class-plain' };
  const overrides = process.env.CLASS_POLL_INTERVAL ? { poll_interval: Number(process.env.CLASS_POLL_INTERVAL) } : {};
  const world = await labWorld({ deployment: DEPLOYMENT, labs: [pooled, plain], overrides, log });
  // The same moments for both phases: a seeded class, each learner uniform in the window.
  const rnd = seeded(21);
  const moments = Array.from({ length: LEARNERS }, () => Math.round(rnd() * WINDOW_S * 1000)).sort((a, b) => a - b);
  const phases: Phase[] = [];
  try {
    const fillSeconds = await fillForClass(world, pooled);
    world.runtime.scheduler.start();
    phases.push({ ...(await classPhase(world, pooled, moments)), fillSeconds });
    await clearLab(world, pooled.id);
    if (BASELINE && !pastStopTime()) phases.push(await classPhase(world, plain, moments));
    else log('no baseline phase (CLASS_BASELINE=0 or past BENCH_STOP_AT)');
  } finally {
    await world.close();
  }
  const results: BenchResult[] = [];
  const sums = phases.map(summary);
  for (const [i, phase] of phases.entries()) {
    const s = sums[i]!;
    const what = phase.id === pooled.id ? `warm pool (${POOL_STATE})` : 'no pool';
    results.push({ name: `class-open: click to prompt p95, ${what}`, value: s.p95, unit: 'ms', goal: '< 3000 ms', met: s.ok === LEARNERS && s.p95 < 3000, note: s.text });
    results.push({ name: `class-open: click to prompt p50 / max, ${what}`, value: s.p50, unit: 'ms', note: `max ${Math.round(s.max)} ms` });
  }
  if (sums.length === 2) results.push({ name: 'class-open: no pool / warm pool, p95 click to prompt', value: sums[1]!.p95 / sums[0]!.p95, unit: 'x', note: `same run; p50 ratio ${(sums[1]!.p50 / sums[0]!.p50).toFixed(2)}` });
  results.push({ name: 'class-open: learners, window', value: LEARNERS, unit: 'learners', note: `over ${WINDOW_S} s, ${PAGE_WAIT_S > 0 ? `page waits ${PAGE_WAIT_S} s for a change (poll ${PAGE_POLL_MS} ms after a failed wait)` : `page polls every ${PAGE_POLL_MS} ms`}, ${world.backend}` });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` — ${r.note}` : ''}`);
}
