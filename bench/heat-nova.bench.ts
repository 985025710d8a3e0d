/**
 * What stacklab adds on top of Heat for the sample labs (labs/*), on the test cloud with real Nova,
 * Neutron and Glance (scripts/setup-openstack.sh; Nova's fake driver, so servers never boot). For each
 * lab, N rounds, each one a raw Heat launch, suspend and resume (HeatClient with the parameters
 * stacklab passes, its key pair included, polled until *_COMPLETE) interleaved with the same
 * operations through stacklab (StackService on PostgreSQL -> worker -> OpenStack provider ->
 * READY/SUSPENDED/READY). The side that goes first alternates from round to round (ABAB).
 *
 * Settings (environment): HEAT_NOVA_LABS (default single-server,ten-servers), HEAT_NOVA_ROUNDS
 * (default 3, plus one warm-up launch that is not counted), HEAT_NOVA_CYCLES (suspend/resume cycles
 * per launched pair, default 1: suspend and resume take seconds where a launch and its delete take
 * minutes, so several cycles per launch give the +20 ms goals the samples they need; the side that
 * goes first alternates from cycle to cycle too), HEAT_NOVA_RAW_POLL_MS (the raw client's
 * poll, default 200), HEAT_NOVA_POLL_INTERVAL (stacklab's poll_interval setting in seconds; default:
 * the raw client's poll, so that both sides poll alike and the difference is what stacklab itself
 * adds; `default` runs the setting's own default, as a deployment does). Skipped when the cloud has no Nova.
 */
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.ts';
import { loadLab } from '../src/labs/load-labs.ts';
import type { Lab } from '../src/domain/lab.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../src/providers/openstack/provider.ts';
import type { StackRef } from '../src/providers/provider.ts';
import { launchParameters } from '../src/services/operations.ts';
import { makePlatformKeyPair, wantsPlatformKeyPair } from '../src/services/platform-key-pair.ts';
import { parseTemplate } from '../src/templates/parse.ts';
import { demoOptions } from '../test/openstack/heat-env.ts';
import { NOVA_MISSING, ensureNova } from '../test/openstack/nova-env.ts';
import { deleteAndWait } from '../test/openstack/wait-stack.ts';
import { testRuntime, type TestRuntime } from '../test/support/test-runtime.ts';
import { heatTimesFromLog, type HeatAction, type HeatTimes } from './heat-engine-log.ts';
import { median, rawUntil, reached, timed } from './heat-timing.ts';
import type { BenchResult } from './types.ts';

const PROVIDER = 'openstack';
const LABS_DIR = new URL('../labs/', import.meta.url).pathname;
const LAUNCH_GOAL = 1.05;
const POWER_GOAL_MS = 20;
const MAX_FAILED_ROUNDS = 3;
const ACTIONS = ['launch', 'suspend', 'resume'] as const;
type Action = (typeof ACTIONS)[number];
type Times = Record<Action, number[]>;
/** Heat's own time (heat-engine's log) for each sample of `Times`, raw side and stacklab side. */
type HeatSamples = Record<Action, Array<[number | undefined, number | undefined]>>;

export interface HeatNovaSettings {
  labs: string[];
  rounds: number;
  cycles: number;
  rawPollMs: number;
  /** stacklab's poll_interval in seconds; 'default': the setting's default. */
  pollInterval: number | 'default';
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): HeatNovaSettings {
  const positive = (name: string, fallback?: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!(n > 0)) throw new Error(`${name}=${raw}: expected a positive number`);
    return n;
  };
  return {
    labs: (env.HEAT_NOVA_LABS ?? 'single-server,ten-servers').split(',').map((s) => s.trim()).filter(Boolean),
    rounds: Math.round(positive('HEAT_NOVA_ROUNDS', 3)!),
    cycles: Math.round(positive('HEAT_NOVA_CYCLES', 1)!),
    rawPollMs: positive('HEAT_NOVA_RAW_POLL_MS', 200)!,
    pollInterval: env.HEAT_NOVA_POLL_INTERVAL === 'default' ? 'default' : (positive('HEAT_NOVA_POLL_INTERVAL') ?? positive('HEAT_NOVA_RAW_POLL_MS', 200)! / 1000),
  };
}

/**
 * One round on one lab: raw and stacklab side by side, a launch then `cycles` suspend/resume cycles,
 * `rawFirst` deciding who goes first at the launch and the first cycle (then alternating).
 */
async function round(heat: OpenStackProvider, rt: TestRuntime, lab: Lab, tag: string, rawFirst: boolean, rawPollMs: number, cycles: number): Promise<{ raw: Times; ours: Times; names: string[] }> {
  const entry = lab.providers.find((p) => p.name === PROVIDER)!;
  const raw: Times = { launch: [], suspend: [], resume: [] };
  const ours: Times = { launch: [], suspend: [], resume: [] };
  // The raw client brings a key pair as stacklab does; made before the clock starts, since a
  // hand-written client would have its key already (stacklab makes one per launch, inside its time).
  const declared = Object.keys(parseTemplate(entry.template).parameters);
  const keyPair = wantsPlatformKeyPair(declared) ? await makePlatformKeyPair(`bench-${tag}`) : undefined;
  const parameters = launchParameters(entry.template, lab.parameters, { run: 'bench', learner: `raw-${tag}` }, keyPair);
  const rawName = `stacklab-bench-${tag}`;
  let ref: StackRef | undefined;
  let id = '';
  const power = (action: 'suspend' | 'resume', state: 'SUSPENDED' | 'READY'): [() => Promise<void>, () => Promise<void>] => [
    async () => {
      raw[action].push(await timed(async () => {
        await heat.heat.action(ref!, action);
        await rawUntil(heat, ref!, `${action.toUpperCase()}_COMPLETE`, rawPollMs);
      }));
    },
    async () => {
      ours[action].push(await timed(async () => {
        const done = reached(rt, id, state);
        await (action === 'suspend' ? rt.ctx.stacks.requestSuspend(id, 'bench') : rt.ctx.stacks.requestResume(id, 'bench'));
        await done;
      }));
    },
  ];
  const steps: Array<[() => Promise<void>, () => Promise<void>]> = [
    [
      async () => {
        raw.launch.push(await timed(async () => {
          ref = await heat.heat.create({
            name: rawName,
            deployment: rt.ctx.deployment,
            template: entry.template,
            environment: entry.environment,
            parameters,
            timeoutSeconds: lab.timeouts.launch,
          });
          await rawUntil(heat, ref, 'CREATE_COMPLETE', rawPollMs);
        }));
      },
      async () => {
        ours.launch.push(await timed(async () => {
          const stack = await rt.ctx.stacks.launch({ learner: `bench-${tag}`, context: 'course-v1:Bench+Heat+Nova', lab: lab.id, actor: 'bench' });
          id = stack.id;
          await reached(rt, id, 'READY');
        }));
      },
    ],
    ...Array.from({ length: cycles }, () => [power('suspend', 'SUSPENDED'), power('resume', 'READY')]).flat(),
  ];
  // A create whose answer was lost (a restarting heat-api) may still have made the stack: find it by name.
  const deleteRaw = async () => {
    const made = ref ?? (await heat.heat.showByName(rawName).then((s) => (s ? { id: s.id, name: rawName } : undefined), () => undefined));
    if (made) await deleteAndWait(heat, made, 180_000);
  };
  try {
    for (const [n, [rawStep, labStep]] of steps.entries()) {
      // Step 0 is the launch, steps 1-2 the first cycle (in the launch's order), 3-4 the second (flipped), ...
      const cycle = n === 0 ? 0 : Math.floor((n - 1) / 2);
      if (rawFirst === (cycle % 2 === 0)) {
        await rawStep();
        await labStep();
      } else {
        await labStep();
        await rawStep();
      }
    }
  } finally {
    // Clean up before the next round, so deletes do not load the cloud while it is measured.
    const deleted = id ? reached(rt, id, 'DELETED') : Promise.resolve();
    if (id) await rt.ctx.stacks.requestDelete(id, 'bench').catch(() => undefined);
    await Promise.all([deleted.catch((e: unknown) => console.error(`# clean-up: ${(e as Error).message}`)), deleteRaw()]);
  }
  // Heat's own log can tell its time from the clients' (BENCHMARKS.md): the names find the stacks there.
  const names = [ref?.name ?? '', id ? await rt.ctx.stacks.get(id).then((s) => s.providerStackName, () => '') : ''];
  return { raw, ours, names };
}

export async function run(settings: HeatNovaSettings = settingsFromEnv()): Promise<BenchResult[] | { skipped: string }> {
  const env = await ensureNova();
  if (!env) return { skipped: NOVA_MISSING };
  const heat = createOpenStackProvider(PROVIDER, demoOptions(env, { request_timeout_seconds: 60 }));
  const labs = settings.labs.map((id) => loadLab(join(LABS_DIR, id), { defaultProviders: [PROVIDER] }));
  // PostgreSQL, as a deployment runs; real time, so leases and deadlines behave as in production.
  // testRuntime's own poll (10 ms) is for fast tests: the bench always says which it runs.
  const pollInterval = settings.pollInterval === 'default' ? loadConfig({ env: {} }).config.poll_interval : settings.pollInterval;
  const rt = await testRuntime({ backend: 'postgres', providers: [heat], labs, overrides: { poll_interval: pollInterval } });
  Object.assign(rt.clock, { now: () => new Date() });
  rt.worker.start();
  const results: BenchResult[] = [];
  try {
    // Warm-up (token, catalog, database, JIT, Heat's and Nova's caches): one round of the first lab, not counted.
    await round(heat, rt, labs[0]!, `${process.pid}-warm`, true, settings.rawPollMs, 1);
    for (const lab of labs) {
      const times = { raw: { launch: [], suspend: [], resume: [] } as Times, ours: { launch: [], suspend: [], resume: [] } as Times };
      const stackNames: Array<[string, string]> = [];
      let failures = 0;
      for (let i = 0; i < settings.rounds; i++) {
        const tag = `${process.pid}-${lab.id}-${i}-${Math.random().toString(36).slice(2, 6)}`;
        let measured: Awaited<ReturnType<typeof round>>;
        try {
          measured = await round(heat, rt, lab, tag, i % 2 === 0, settings.rawPollMs, settings.cycles);
        } catch (error) {
          // The test cloud is shared (other sessions restart Heat): a round the cloud failed is measured again, a few times at most.
          if (++failures > MAX_FAILED_ROUNDS) throw error;
          console.error(`# ${lab.id} round ${i + 1} failed, measuring it again: ${(error as Error).message}`);
          i--;
          continue;
        }
        const { raw, ours, names } = measured;
        stackNames.push([names[0]!, names[1]!]);
        for (const k of ACTIONS) {
          times.raw[k].push(...raw[k]);
          times.ours[k].push(...ours[k]);
        }
        const shown = (v: number[]) => v.map(Math.round).join(', ');
        console.error(`# ${lab.id} round ${i + 1}/${settings.rounds}: ${ACTIONS.map((k) => `${k} raw ${shown(raw[k])} / stacklab ${shown(ours[k])} ms`).join('; ')} (${rawFirstLabel(i)}; stacks ${names.join(', ')})`);
      }
      results.push(...summarise(lab.id, times, settings.rawPollMs, pollInterval));
      const heatTimes = heatTimesFromLog(stackNames.flat());
      if (heatTimes) results.push(...overHeat(lab.id, times, samplesOfHeat(stackNames.map(([r, o]) => [heatTimes.get(r) ?? {}, heatTimes.get(o) ?? {}]), settings.cycles)));
    }
  } finally {
    await rt.close();
    await heat.close?.();
  }
  return results;
}

function rawFirstLabel(i: number): string {
  return i % 2 === 0 ? 'raw first' : 'stacklab first';
}

/** The figures of one lab: medians of each side, the launch ratio and the suspend/resume deltas against their goals. */
export function summarise(labId: string, times: { raw: Times; ours: Times }, rawPollMs: number, pollInterval: number): BenchResult[] {
  const n = times.raw.launch.length;
  const out: BenchResult[] = [];
  const what = { launch: 'launch to READY', suspend: 'suspend to SUSPENDED', resume: 'resume to READY' } as const;
  for (const k of ACTIONS) {
    const r = median(times.raw[k]);
    const s = median(times.ours[k]);
    // Rounds differ more from each other than the two sides of one round: the paired difference is the steadier figure.
    const paired = median(times.ours[k].map((v, i) => v - times.raw[k][i]!));
    out.push(
      { name: `heat-nova ${labId}: raw Heat ${k} (median of ${n})`, value: r, unit: 'ms', note: `raw poll ${rawPollMs} ms; all: ${times.raw[k].map(Math.round).join(', ')}` },
      { name: `heat-nova ${labId}: stacklab ${what[k]} (median of ${n})`, value: s, unit: 'ms', note: `poll_interval ${pollInterval} s; all: ${times.ours[k].map(Math.round).join(', ')}` },
    );
    if (k === 'launch') {
      out.push({ name: `heat-nova ${labId}: stacklab / raw, launch`, value: s / r, unit: 'ratio', goal: `<= ${LAUNCH_GOAL}`, met: s / r <= LAUNCH_GOAL, note: `paired: +${Math.round(paired)} ms` });
    } else {
      out.push({ name: `heat-nova ${labId}: stacklab - raw, ${k} (paired median)`, value: paired, unit: 'ms', goal: `<= +${POWER_GOAL_MS}`, met: paired <= POWER_GOAL_MS, note: `medians: +${Math.round(s - r)} ms` });
    }
  }
  return out;
}

const HEAT_ACTION: Record<Action, HeatAction> = { launch: 'CREATE', suspend: 'SUSPEND', resume: 'RESUME' };

/**
 * Lines Heat's times up with the samples: round by round, the launch once and each action `cycles`
 * times, in order (a time missing from the log stays undefined, and its sample is left out).
 */
export function samplesOfHeat(rounds: Array<[HeatTimes, HeatTimes]>, cycles: number): HeatSamples {
  const out: HeatSamples = { launch: [], suspend: [], resume: [] };
  for (const [r, o] of rounds) {
    for (const k of ACTIONS) {
      const n = k === 'launch' ? 1 : cycles;
      for (let c = 0; c < n; c++) out[k].push([r[HEAT_ACTION[k]]?.[c], o[HEAT_ACTION[k]]?.[c]]);
    }
  }
  return out;
}

/**
 * What each client adds on top of Heat's own time (heat-engine's log), round by round: this cancels
 * the swings of a shared Heat, which the ABAB order only evens out over many rounds. The launch ratio
 * is then taken at the same Heat time for both sides (the median of all the creates measured).
 */
export function overHeat(labId: string, times: { raw: Times; ours: Times }, heat: HeatSamples): BenchResult[] {
  const out: BenchResult[] = [];
  for (const k of ACTIONS) {
    const rounds = heat[k].map(([r, o], i) => ({ r, o, i })).filter((x): x is { r: number; o: number; i: number } => x.r !== undefined && x.o !== undefined);
    if (rounds.length === 0) continue;
    const rawOver = rounds.map((x) => times.raw[k][x.i]! - x.r);
    const oursOver = rounds.map((x) => times.ours[k][x.i]! - x.o);
    const extra = median(oursOver.map((v, j) => v - rawOver[j]!));
    const heatMedian = median(rounds.flatMap((x) => [x.r, x.o]));
    const n = rounds.length;
    out.push(
      { name: `heat-nova ${labId}: Heat's own ${k} time (median, heat-engine log)`, value: heatMedian, unit: 'ms', note: `raw stacks: ${rounds.map((x) => x.r).join(', ')}; stacklab's: ${rounds.map((x) => x.o).join(', ')}` },
      { name: `heat-nova ${labId}: raw client over Heat's time, ${k} (median of ${n})`, value: median(rawOver), unit: 'ms', note: `all: ${rawOver.map(Math.round).join(', ')}` },
      { name: `heat-nova ${labId}: stacklab over Heat's time, ${k} (median of ${n})`, value: median(oursOver), unit: 'ms', note: `all: ${oursOver.map(Math.round).join(', ')}` },
    );
    if (k === 'launch') {
      const ratio = (heatMedian + median(oursOver)) / (heatMedian + median(rawOver));
      out.push({ name: `heat-nova ${labId}: stacklab / raw, launch, at equal Heat time`, value: ratio, unit: 'ratio', goal: `<= ${LAUNCH_GOAL}`, met: ratio <= LAUNCH_GOAL, note: `stacklab adds ${Math.round(extra)} ms more than the raw client (paired)` });
    } else {
      out.push({ name: `heat-nova ${labId}: stacklab - raw over Heat's time, ${k} (paired median)`, value: extra, unit: 'ms', goal: `<= +${POWER_GOAL_MS}`, met: extra <= POWER_GOAL_MS });
    }
  }
  return out;
}
