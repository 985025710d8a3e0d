/**
 * `npm run bench -- cost`: what a month of the class of issue #18 (bench/class-model.ts) bills under
 * stacklab's defaults and under hastexo's, replayed through the real lifecycle code (bench/cost-replay.ts).
 * Billed hours per learning hour is the figure the defaults are chosen by (goal: 1.10 or less), and no
 * learner who typed in the last 5 minutes may be suspended.
 *
 * STACKLAB_COST_LEARNERS sets the class size (default 1,000, the class; each learner's bill depends
 * only on its own stack, so a smaller class gives the same ratios up to noise, sooner).
 * STACKLAB_COST_BACKEND picks the store: `postgres` (the test PostgreSQL of test/support/databases.ts) or
 * `pglite`; by default PostgreSQL when it answers, since the replay is a chain of store round trips and
 * PostgreSQL runs them beside the replay (less than half of PGlite's time here), PGlite otherwise.
 * STACKLAB_COST_PROFILES picks profiles by the first word of their name, comma-separated (`hastexo`,
 * `former`, `defaults`; default all three): on a loaded machine the 1,000-learner month of one profile
 * takes tens of minutes (BENCHMARKS.md).
 * STACKLAB_COST_GROUPS (default 1) replays the class in that many groups of learners, each on a store of
 * its own, side by side (replayGroups): the same figures, sooner on a loaded machine. STACKLAB_COST_THREADS=1
 * runs each group in a worker thread of its own; STACKLAB_COST_POOL caps each group's PostgreSQL
 * connections (default 10, 4 beyond 4 groups).
 * STACKLAB_COST_MODEL=habits replays the class with habits instead (bench/habit-model.ts: most learners
 * start around a time of day of their own) under the defaults and under the defaults with habit resume on,
 * side by side on the same learners (issue #21): what habit resume saves the learners in waits for a
 * resume, and what its wrong guesses cost.
 * STACKLAB_COST_ROUNDS replays only the month's first rounds of sessions (for profiling the replay; the
 * figures are then of those rounds, not of a month).
 * STACKLAB_COST_PRICE is the price of a stack-hour in dollars (default 1.50: a lab left on all month then
 * costs about $1,000, as the issue says).
 */
import { loadConfig } from '../src/config/load-config.ts';
import { postgresAvailable, type Backend } from '../test/support/databases.ts';
import { testLab } from '../test/support/test-runtime.ts';
import { classModel, type ClassModel } from './class-model.ts';
import { emptyResult, type Profile, type ReplayResult } from './cost-replay.ts';
import { replayClass, replayInThread } from './cost-group.ts';
import { habitClassModel } from './habit-model.ts';
import type { BenchResult } from './types.ts';

const defaults = loadConfig({ env: {}, overrides: {} }).config;

export const PROFILES: Profile[] = [
  // hastexo: keepalives until 1 h without terminal input, suspend 120 s after the last, suspender every 60 s, no departure.
  { name: 'hastexo defaults', idleTimeout: 3600, suspendTimeout: 120, departureGrace: 0, suspenderInterval: 60, keepaliveInterval: 30, gatewayActivity: false, outputActivity: 0 },
  // stacklab before issue #18: the same countdown, sweeps every 10 s.
  { name: 'stacklab, former defaults', idleTimeout: 3600, suspendTimeout: 120, departureGrace: 0, suspenderInterval: 10, keepaliveInterval: 30, gatewayActivity: true, outputActivity: 0 },
  {
    name: 'stacklab defaults',
    idleTimeout: defaults.idle_timeout,
    suspendTimeout: testLab().timeouts.suspend,
    departureGrace: defaults.departure_grace,
    suspenderInterval: defaults.suspender_interval,
    keepaliveInterval: defaults.keepalive_interval,
    gatewayActivity: true,
    outputActivity: defaults.output_activity,
  },
];

const DEFAULTS = PROFILES[2]!;
/** The habit model's profiles: the defaults, and the defaults with habit resume on (its own defaults: 300 s ahead, 3 days of 14). */
export const HABIT_PROFILES: Profile[] = [DEFAULTS, { ...DEFAULTS, name: 'stacklab defaults + habit resume', habitResume: true }];

export async function run(): Promise<BenchResult[]> {
  const learners = Number(process.env.STACKLAB_COST_LEARNERS ?? 1000);
  const backend = await chooseBackend(process.env.STACKLAB_COST_BACKEND);
  const price = Number(process.env.STACKLAB_COST_PRICE ?? 1.5);
  const habits = process.env.STACKLAB_COST_MODEL === 'habits';
  if (process.env.STACKLAB_COST_MODEL && !habits) throw new Error(`STACKLAB_COST_MODEL takes habits, not '${process.env.STACKLAB_COST_MODEL}'`);
  const model = firstRounds(habits ? habitClassModel(learners) : classModel(learners), process.env.STACKLAB_COST_ROUNDS);
  const groups = Math.max(1, Math.min(learners, Number(process.env.STACKLAB_COST_GROUPS ?? 1)));
  const results: BenchResult[] = [];
  const figures: Array<[Profile, ReplayResult]> = [];
  // The profiles replay side by side, each on a runtime and store of its own: a replay mostly waits for
  // its store, so three of them take little longer than one.
  const replays = await Promise.all(
    chosenProfiles(habits ? HABIT_PROFILES : PROFILES, process.env.STACKLAB_COST_PROFILES).map(async (profile) => {
      const started = performance.now();
      const r = await replayGroups(model, profile, backend, groups);
      return { profile, r, seconds: (performance.now() - started) / 1000 };
    }),
  );
  for (const { profile, r, seconds } of replays) {
    figures.push([profile, r]);
    const ratio = r.billedHours / r.learningHours;
    const own = profile.name === 'stacklab defaults';
    results.push(
      { name: `${profile.name}: billed / learning hours`, value: ratio, unit: 'ratio', ...(own ? { goal: '<= 1.10', met: ratio <= 1.1 } : {}) },
      { name: `${profile.name}: learning hours per learner-month`, value: r.learningHours / learners, unit: 'h' },
      { name: `${profile.name}: billed hours per learner-month`, value: r.billedHours / learners, unit: 'h' },
      { name: `${profile.name}: $ per learner-month at $${price}/h`, value: (r.billedHours * price) / learners, unit: '$' },
      { name: `${profile.name}: suspends`, value: r.suspends, unit: 'count', note: `${r.beacons} departure beacons, ${r.sessions} sessions` },
      { name: `${profile.name}: suspends in a reading pause (resumed on return)`, value: r.pauseSuspends, unit: 'count' },
      {
        name: `${profile.name}: suspends of a learner who typed < 5 min before`,
        value: r.activeSuspends,
        unit: 'count',
        goal: '0',
        met: r.activeSuspends === 0,
        note: `replayed in ${seconds.toFixed(0)} s`,
      },
    );
    if (habits) {
      results.push(
        { name: `${profile.name}: sessions that found their stack running (no wait)`, value: r.foundRunning, unit: 'count', note: `of ${r.sessions}` },
        { name: `${profile.name}: sessions that found a resume under way`, value: r.foundResuming, unit: 'count' },
        { name: `${profile.name}: sessions that waited for a resume`, value: r.waited, unit: 'count' },
        { name: `${profile.name}: habit resumes`, value: r.habitResumes, unit: 'count' },
        { name: `${profile.name}: wrong guesses (resumed, the learner did not come before the suspend)`, value: r.wrongGuesses, unit: 'count' },
        { name: `${profile.name}: running time of the wrong guesses per learner-month`, value: r.wrongGuessHours / learners, unit: 'h', note: `$${((r.wrongGuessHours * price) / learners).toFixed(3)} at $${price}/h` },
      );
    }
  }
  const hastexo = figures.find(([profile]) => profile.name === 'hastexo defaults');
  const own = figures.find(([profile]) => profile.name === 'stacklab defaults');
  if (hastexo && own) {
    const saving = 1 - own[1].billedHours / hastexo[1].billedHours;
    results.push({ name: 'stacklab defaults against hastexo defaults: billed hours saved', value: saving * 100, unit: '%', note: `${learners} learners, ${model.gaps.length} sessions each, on ${backend}` });
  }
  return results;
}

/** The model's first `rounds` rounds (all when unset). */
function firstRounds(model: ClassModel, rounds: string | undefined): ClassModel {
  if (rounds === undefined) return model;
  const n = Number(rounds);
  if (!Number.isInteger(n) || n < 1) throw new Error(`STACKLAB_COST_ROUNDS must be a whole number of rounds, not '${rounds}'`);
  return { ...model, sessions: model.sessions.map((own) => own.slice(0, n)), gaps: model.gaps.slice(0, n) };
}

/** The profiles of `all` named in `wanted` by a key (`hastexo`, `former`, `defaults`, `habit`), or all of them. */
function chosenProfiles(all: Profile[], wanted: string | undefined): Profile[] {
  if (!wanted) return all;
  const keyOf = (profile: Profile) =>
    profile.habitResume ? 'habit' : profile.name.startsWith('hastexo') ? 'hastexo' : profile.name.includes('former') ? 'former' : 'defaults';
  const keys = wanted.split(',').map((key) => key.trim());
  const unknown = keys.filter((key) => !all.some((profile) => keyOf(profile) === key));
  if (unknown.length > 0) throw new Error(`STACKLAB_COST_PROFILES takes ${all.map(keyOf).join(', ')}, not '${unknown.join(', ')}'`);
  return all.filter((profile) => keys.includes(keyOf(profile)));
}

/**
 * The class split into `groups` of consecutive learners, each replayed on a runtime and store of its own,
 * side by side, and their figures added up. The very same learners with the very same plans: each
 * learner's bill depends only on its own stack and the sweeps' schedule, which every group keeps (a sweep
 * is skipped only when no stack can be due); what a group changes is how many stacks each store and
 * sweep holds, which is not what this benchmark measures (the sweeps bench does, at 100,000 stacks).
 * Each group is a chain of store round trips of its own, so on a loaded machine they overlap.
 */
async function replayGroups(model: ClassModel, profile: Profile, backend: Backend, groups: number): Promise<ReplayResult> {
  const size = Math.ceil(model.learners / groups);
  const parts: ClassModel[] = [];
  for (let from = 0; from < model.learners; from += size) {
    const sessions = model.sessions.slice(from, from + size);
    parts.push({ learners: sessions.length, sessions, gaps: model.gaps, ...(model.daily ? { daily: true } : {}) });
  }
  // In this thread unless STACKLAB_COST_THREADS=1 (measured slower on the shared 2-core machine: each
  // thread loads and compiles stacklab again, and the replay is bound by the machine's CPU, not by one
  // event loop; BENCHMARKS.md). Beyond 4 groups, a few connections per group's store (its requests at a
  // step are few), so that the groups fit in PostgreSQL's 100.
  const threads = parts.length > 1 && process.env.STACKLAB_COST_THREADS === '1';
  const poolSize = Number(process.env.STACKLAB_COST_POOL ?? (parts.length > 4 ? 4 : 10));
  const results = await Promise.all(parts.map((part) => (threads ? replayInThread : replayClass)({ model: part, profile, backend, poolSize })));
  const sum: ReplayResult = emptyResult();
  for (const r of results) for (const key of Object.keys(sum) as Array<keyof ReplayResult>) sum[key] += r[key];
  return sum;
}

async function chooseBackend(wanted: string | undefined): Promise<Backend> {
  if (wanted === 'pglite' || wanted === 'postgres') return wanted;
  if (wanted) throw new Error(`STACKLAB_COST_BACKEND must be pglite or postgres, not '${wanted}'`);
  return (await postgresAvailable()) ? 'postgres' : 'pglite';
}
