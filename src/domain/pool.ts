/**
 * Warm pools (docs/pools.md): per lab, and per course run when the template takes the `run` parameter,
 * a number of stacks launched ahead for nobody and kept suspended or running; a learner's first launch
 * takes one. What a pool should hold and what to do about the stacks it holds are decided here, purely;
 * services/warm-pools.ts carries the decisions out.
 */
import { createHash } from 'node:crypto';
import type { Lab } from './lab.ts';
import type { Stack } from './stack.ts';
import type { StackState } from './states.ts';

export interface LabPool {
  /** Stacks to keep per pool (0: no pool). */
  size: number;
  /** What the pool's stacks wait in: suspended (cheaper) or running (a claim needs no resume). */
  state: 'suspended' | 'running';
  /** The template takes the `run` parameter: one pool per course run in `runs`. */
  perRun: boolean;
  runs: string[];
  /** The lab's personalization script; absent: the built-in one (services/personalize.ts). */
  personalize?: string;
}

/** Learner ids of pool stacks: `pool:<stack id>`, one per stack, so (learner, context, lab) stays unique. */
export const POOL_LEARNER_PREFIX = 'pool:';

/** The learner label the cost report groups pool time under. */
export const POOL_LEARNER_LABEL = 'pool';

export function poolLearner(stackId: string): string {
  return POOL_LEARNER_PREFIX + stackId;
}

export function isPoolLearner(learner: string): boolean {
  return learner.startsWith(POOL_LEARNER_PREFIX);
}

/** One pool: a lab, and the run its stacks are launched with ('' when the template does not take it). */
export interface PoolKey {
  lab: string;
  run: string;
}

/** The pool a launch for `run` takes from. */
export function poolKeyFor(lab: Lab, run: string): PoolKey {
  return { lab: lab.id, run: lab.pool?.perRun ? run : '' };
}

/**
 * How many stacks a pool should hold. The lab's setting, unless a sizing says otherwise: the place a
 * schedule (class times) can size a pool ahead of a class and drain it after, without the pool knowing.
 */
export interface PoolSizing {
  (lab: Lab, key: PoolKey): number;
  /** Course runs a per-run lab needs a pool for besides its `pool.runs` (a scheduled class's run). */
  runs?: (lab: Lab) => readonly string[];
}

/** The lab's `pool.size`; a per-run lab's pool for a run its `pool.runs` does not list has none of its own. */
export const labSizing: PoolSizing = (lab, key) => (lab.pool?.perRun && !lab.pool.runs.includes(key.run) ? 0 : (lab.pool?.size ?? 0));

/**
 * The pools every lab wants, with their target sizes (pools of size 0 too, so they drain). `held`: the
 * pools that hold stacks now, so a per-run pool no longer listed (its class is over, its run taken out
 * of `pool.runs`) is still visited, at size 0, and drains.
 */
export function poolTargets(labs: readonly Lab[], sizing: PoolSizing = labSizing, held: readonly PoolKey[] = []): Array<PoolKey & { size: number; state: LabPool['state'] }> {
  const out: Array<PoolKey & { size: number; state: LabPool['state'] }> = [];
  for (const lab of labs) {
    const runs = lab.pool?.perRun
      ? [...new Set([...lab.pool.runs, ...(sizing.runs?.(lab) ?? []), ...held.filter((k) => k.lab === lab.id && k.run !== '').map((k) => k.run)])]
      : [''];
    for (const run of runs) out.push({ lab: lab.id, run, size: Math.max(0, sizing(lab, { lab: lab.id, run })), state: lab.pool?.state ?? 'suspended' });
  }
  return out;
}

/**
 * What the lab's stacks are made from: every provider's template, environment and files, and the lab's
 * parameters. A pool stack with another hash was made from an older lab and is replaced.
 */
export function templateHash(lab: Pick<Lab, 'providers' | 'parameters'>): string {
  const hash = createHash('sha256');
  const entries = lab.providers.map((p) => ({ name: p.name, template: p.template, environment: p.environment ?? null, files: p.files ?? {} }));
  hash.update(JSON.stringify({ providers: entries, parameters: lab.parameters }));
  return hash.digest('hex').slice(0, 32);
}

/** Pool stacks that can be handed to a learner as they are. */
export const CLAIMABLE_STATES = ['READY', 'SUSPENDED'] as const satisfies readonly StackState[];

/** Pool stacks that hold or will hold a place in the pool (on their way to being claimable). */
const FILLING_STATES: readonly StackState[] = ['LAUNCH_PENDING', 'CREATING', 'READY', 'SUSPEND_PENDING', 'SUSPENDING', 'SUSPENDED', 'RESUME_PENDING', 'RESUMING'];

/** States a pool stack can be sent to DELETE_PENDING from right away (the rest finish their operation first). */
const DROPPABLE_STATES: readonly StackState[] = ['READY', 'SUSPENDED', 'LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'SHELVED', 'SHELVE_FAILED', 'UNSHELVE_FAILED'];

export interface PoolPlan {
  /** New pool stacks to launch. */
  launch: number;
  /**
   * Pool stacks to delete: made from an older template (`stale`), failed, or more than the pool wants
   * (`surplus`). `why` is a code the history words in each language (history.poolDropped).
   */
  drop: Array<{ id: string; state: StackState; why: 'stale' | 'failed' | 'surplus' }>;
  /** READY pool stacks of a suspended pool, to suspend. */
  suspend: string[];
}

/**
 * What to do about one pool's stacks (its unclaimed, undeleted ones) so that it holds `size` stacks of
 * the current template in the pool's state. Stale and failed stacks go; a replacement is launched as
 * soon as one goes, so a changed template refills while the old stacks are deleted (they occupy
 * provider places until then: the filler bounds launches by capacity, see services/warm-pools.ts).
 */
export function planPool(target: { size: number; state: LabPool['state'] }, stacks: readonly Pick<Stack, 'id' | 'state' | 'templateHash' | 'createdAt'>[], hash: string): PoolPlan {
  const drop: PoolPlan['drop'] = [];
  const keep: Array<Pick<Stack, 'id' | 'state' | 'templateHash' | 'createdAt'>> = [];
  for (const s of stacks) {
    const stale = s.templateHash !== hash;
    const failed = s.state.endsWith('_FAILED');
    if ((stale || failed) && DROPPABLE_STATES.includes(s.state)) drop.push({ id: s.id, state: s.state, why: stale ? 'stale' : 'failed' });
    else if (!stale && FILLING_STATES.includes(s.state)) keep.push(s);
  }
  // Too many (the pool shrank): the newest go first, since the oldest are the likeliest to be ready.
  const sorted = [...keep].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const s of sorted.slice(target.size).reverse()) if (DROPPABLE_STATES.includes(s.state)) drop.push({ id: s.id, state: s.state, why: 'surplus' });
  const kept = sorted.slice(0, target.size);
  return {
    launch: Math.max(0, target.size - keep.length),
    drop,
    suspend: target.state === 'suspended' ? kept.filter((s) => s.state === 'READY').map((s) => s.id) : [],
  };
}
