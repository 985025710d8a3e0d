/**
 * Warm pools (docs/pools.md): keeps each pool at its size (the filler, a sweep: idempotent, bounded per
 * pass and by provider capacity), and says what the pools hold (`stacklab pools list`, GET /api/v1/pools).
 * The claim is the launch's (services/stack-service.ts). What a pool should hold is domain/pool.ts's to say; this carries it out. Pool stacks are ordinary
 * stacks: the workers launch, suspend and delete them like any other.
 */
import type { Database } from '../db/database.ts';
import { PoolStore } from '../db/pool-store.ts';
import { StackStore } from '../db/stack-store.ts';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Lab } from '../domain/lab.ts';
import { labSizing, planPool, poolTargets, templateHash, type PoolSizing } from '../domain/pool.ts';
import type { Stack } from '../domain/stack.ts';
import { reason, reasonText, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import { OCCUPYING_STATES } from '../domain/states.ts';
import { systemClock, type Clock } from '../infra/clock.ts';
import type { DomainEvents } from '../infra/events.ts';
import { stackNameFor } from '../providers/stack-names.ts';
import { newStackId } from './stack-service.ts';
import type { SweepStats } from './sweeps.ts';

export const POOL_ACTOR = 'pool';

export interface PoolView {
  lab: string;
  run: string;
  size: number;
  state: 'suspended' | 'running';
  /** Ready to hand out now (the current template, READY or SUSPENDED). */
  ready: number;
  /** On their way (launching, suspending). */
  filling: number;
  /** Made from an older template, or failed: being replaced. */
  stale: number;
}

export class WarmPools {
  private readonly stacks: StackStore;
  private readonly pools: PoolStore;

  constructor(
    private readonly deps: {
      db: Database;
      labs: LabCatalog;
      events: DomainEvents;
      deployment: string;
      /** Pool sizes at a moment; default: each lab's `pool.size`. Class schedules size them here (services/class-schedules.ts). */
      sizingAt?: (now: Date) => Promise<PoolSizing>;
      /** For `list`, which shows the sizes of now. */
      clock?: Clock;
    },
  ) {
    this.stacks = new StackStore(deps.db);
    this.pools = new PoolStore(deps.db);
  }

  private sizing(now: Date): Promise<PoolSizing> {
    return this.deps.sizingAt ? this.deps.sizingAt(now) : Promise.resolve(labSizing);
  }

  /**
   * One pass of the filler: per pool, stale and failed stacks are deleted, ready stacks of a suspended
   * pool suspended, and missing ones launched, at most `batch` actions in all and never more launches
   * than the lab's providers have free places. Running it twice changes nothing the first did not.
   */
  async fill(now: Date, batch: number): Promise<SweepStats> {
    const started = performance.now();
    let acted = 0;
    const errors: string[] = [];
    const labs = this.deps.labs.list().filter((lab) => lab.pool);
    const held = await this.pools.counts();
    for (const target of poolTargets(labs, await this.sizing(now), held)) {
      if (acted >= batch) break;
      const lab = this.deps.labs.get(target.lab)!;
      try {
        acted += await this.fillOne(lab, target, now, batch - acted);
      } catch (error) {
        errors.push(`${target.lab}${target.run ? `/${target.run}` : ''}: ${(error as Error).message}`);
      }
    }
    return { sweep: 'pools', acted, errors, ms: performance.now() - started };
  }

  private async fillOne(lab: Lab, target: { lab: string; run: string; size: number; state: 'suspended' | 'running' }, now: Date, budget: number): Promise<number> {
    const hash = templateHash(lab);
    const plan = planPool(target, await this.pools.stacks(target.lab, target.run), hash);
    let acted = 0;
    for (const drop of plan.drop) {
      if (acted >= budget) return acted;
      if (await this.move(drop.id, drop.state, 'DELETE_PENDING', reason('history.poolDropped', { why: drop.why }), now, { attempts: 0 })) acted++;
    }
    for (const id of plan.suspend) {
      if (acted >= budget) return acted;
      if (await this.move(id, 'READY', 'SUSPEND_PENDING', reason('history.poolSuspends'), now, { attempts: 0 })) acted++;
    }
    const launches = Math.min(plan.launch, budget - acted, await this.freePlaces(lab));
    for (let i = 0; i < launches; i++) {
      const id = newStackId();
      const stack = await this.pools.insert(
        {
          id,
          lab: lab.id,
          run: target.run,
          providerStackName: stackNameFor(this.deps.deployment, id, 1),
          templateHash: hash,
          suspendTimeout: lab.timeouts.suspend,
          deleteAge: lab.timeouts.deleteAge,
          launchTimeout: lab.timeouts.launch,
          now,
        },
        POOL_ACTOR,
      );
      this.deps.events.emit('stack.transition', { stack, from: null, to: 'LAUNCH_PENDING', reason: reasonText(reason('history.poolLaunched')) });
      acted++;
    }
    return acted;
  }

  private async move(id: string, from: Stack['state'], to: 'DELETE_PENDING' | 'SUSPEND_PENDING', why: HistoryReason, now: Date, changes: { attempts: number }): Promise<boolean> {
    const moved = await this.stacks.transition({ id, from: [from], to, reason: why, actor: POOL_ACTOR, now, changes });
    if (moved) this.deps.events.emit('stack.transition', { stack: moved, from, to, reason: reasonText(why) });
    return moved !== null;
  }

  /**
   * Places the lab's providers have left for a pool launch: unbounded when one of them has no fixed
   * capacity, else the sum of their free places less the launches not yet placed on any provider.
   * Pool stacks occupy places like any other, so a full provider stops the filler, not the learners
   * already there.
   */
  private async freePlaces(lab: Lab): Promise<number> {
    const enabled = lab.providers.filter((p) => p.capacity !== 0);
    if (enabled.some((p) => p.capacity < 0)) return Number.MAX_SAFE_INTEGER;
    let free = 0;
    for (const p of enabled) free += Math.max(0, p.capacity - (await this.stacks.countOnProvider(p.name, OCCUPYING_STATES)));
    const unplaced = await this.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM stacks WHERE state = 'LAUNCH_PENDING' AND lab = $1`, [lab.id]);
    return Math.max(0, free - (unplaced[0]?.n ?? 0));
  }

  /** Every pool the labs ask for, with what it holds. */
  async list(): Promise<PoolView[]> {
    const labs = this.deps.labs.list().filter((lab) => lab.pool);
    const counts = await this.pools.counts();
    return poolTargets(labs, await this.sizing((this.deps.clock ?? systemClock).now()), counts).map((target) => {
      const hash = templateHash(this.deps.labs.get(target.lab)!);
      const mine = counts.filter((c) => c.lab === target.lab && c.run === target.run);
      const sum = (pick: (c: (typeof mine)[number]) => boolean) => mine.filter(pick).reduce((n, c) => n + c.n, 0);
      const current = (c: (typeof mine)[number]) => c.templateHash === hash && !c.state.endsWith('_FAILED');
      return {
        ...target,
        ready: sum((c) => current(c) && (c.state === 'READY' || c.state === 'SUSPENDED')),
        filling: sum((c) => current(c) && c.state !== 'READY' && c.state !== 'SUSPENDED'),
        stale: sum((c) => !current(c)),
      };
    });
  }
}
