/**
 * The learners of the provider-faults campaign (provider-faults-campaign.ts sets up the world and
 * runs the phases): each launches, suspends, comes back or deletes as a learner would, while Heat is
 * sampled for two stacks of one lab, and every outcome is judged by provider-faults-invariants.ts.
 */
import type { Runtime } from '../src/app/create-context.ts';
import type { Stack } from '../src/domain/stack.ts';
import type { StackState } from '../src/domain/states.ts';
import type { OpenStackProvider } from '../src/providers/openstack/provider.ts';
import { isOwnStackName } from '../src/providers/stack-names.ts';
import type { ProviderFaultsOptions } from './provider-faults-campaign.ts';
import { countPerRow, orphans, unactionable, type RowView } from './provider-faults-invariants.ts';

const SETTLED: StackState[] = ['READY', 'SUSPENDED', 'DELETED', 'LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED'];
const CONTEXT = 'course-v1:Chaos+Faults+2026';
export const FIRST = 'cloud-faulty';
export const SECOND = 'cloud-second';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work` on each item with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.max(1, limit) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

export class Campaign {
  readonly violations: string[] = [];
  readonly failures: string[] = [];
  readonly figures = { launches: 0, ready: 0, launchFailed: 0, suspends: 0, resumes: 0, deletes: 0, deleteRetries: 0, samples: 0, most: 0, audited: 0 };
  readonly readyOn: Record<string, number> = {};
  private readonly seen = new Set<string>();
  private sampling = true;

  constructor(
    readonly rt: Runtime,
    readonly lab: string,
    readonly observer: OpenStackProvider,
    readonly options: ProviderFaultsOptions,
    readonly deadline: number,
  ) {}

  get deployment(): string {
    return this.rt.ctx.deployment;
  }

  private violation(text: string): void {
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.violations.push(text);
    this.options.log?.(`VIOLATION: ${text}`);
  }

  /** How long an operation may take before it counts as stuck: its limit plus the watchdog's round and the retries. */
  private get settleMs(): number {
    return (this.options.launchTimeoutSeconds + 60) * 1000;
  }

  async waitSettled(id: string, what: string): Promise<Stack | null> {
    const started = Date.now();
    const limit = Math.min(started + this.settleMs, this.deadline);
    for (;;) {
      const stack = await this.rt.ctx.stacks.get(id);
      if (SETTLED.includes(stack.state)) return stack;
      if (Date.now() > limit) {
        const why = limit === this.deadline ? `when the run's ${this.options.minutes} minutes were up` : '(stuck)';
        this.violation(`${stack.learner}: ${what} still ${stack.state} after ${Math.round((Date.now() - started) / 1000)} s ${why}`);
        return null;
      }
      await sleep(250);
    }
  }

  private noteFailure(stack: Stack): void {
    this.failures.push(`${stack.state}: ${stack.error ?? ''}`);
    const why = unactionable(stack.error);
    if (why) this.violation(`${stack.learner}: ${stack.state} with a message a learner cannot act on (${why}): ${JSON.stringify(stack.error)}`);
  }

  /** Heat, read directly: never two live stacks for one learner's lab, never one name twice. */
  async sampleLoop(): Promise<void> {
    while (this.sampling) {
      await this.sample().catch((error: Error) => this.options.log?.(`sample failed: ${error.message}`));
      await sleep(1000);
    }
  }

  async sample(): Promise<void> {
    const rows = await this.rows();
    const stacks = (await this.observer.list()).filter((s) => isOwnStackName(s.name, this.deployment));
    const count = countPerRow(stacks, rows, this.deployment);
    this.figures.samples++;
    this.figures.most = Math.max(this.figures.most, count.most);
    for (const d of count.doubled) this.violation(`two live provider stacks for one learner's lab: ${d}`);
    for (const n of count.sameName) this.violation(`Heat holds one name twice: ${n}`);
  }

  async rows(): Promise<RowView[]> {
    return (await this.rt.ctx.stacks.list({ limit: 100_000 })).map((s) => ({ id: s.id, learner: s.learner, state: s.state, providerStackName: s.providerStackName }));
  }

  stopSampling(): void {
    this.sampling = false;
  }

  /** A launch that must end READY (or failed in words); returns the settled row. */
  async launch(learner: string): Promise<Stack | null> {
    const started = await this.rt.ctx.stacks.launch({ learner, context: CONTEXT, lab: this.lab, actor: 'chaos' });
    if (started.state === 'LAUNCH_PENDING') this.figures.launches++;
    const done = await this.waitSettled(started.id, 'launch');
    if (!done) return null;
    if (done.state === 'READY') {
      this.figures.ready++;
      this.readyOn[done.provider ?? '?'] = (this.readyOn[done.provider ?? '?'] ?? 0) + 1;
    } else if (done.state === 'LAUNCH_FAILED') {
      this.figures.launchFailed++;
      this.noteFailure(done);
    } else this.violation(`${learner}: a launch ended ${done.state}`);
    return done;
  }

  /** Deletes a row, asking again (as a learner would) when the delete failed under faults. */
  async remove(stack: Stack): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = await this.rt.ctx.stacks.get(stack.id);
      if (now.state === 'DELETED') return;
      await this.rt.ctx.stacks.requestDelete(stack.id, 'chaos');
      this.figures.deletes++;
      const done = await this.waitSettled(stack.id, 'delete');
      if (!done || done.state === 'DELETED') return;
      this.noteFailure(done);
      this.figures.deleteRetries++;
    }
    this.violation(`${stack.learner}: still not deleted after 5 deletes`);
  }

  /** One learner in the faults phase: launch, then suspend (and maybe come back), delete, or leave it. */
  async learner(name: string): Promise<void> {
    const stack = await this.launch(name);
    if (!stack || stack.state !== 'READY' || Date.now() > this.deadline) return;
    const roll = Math.random();
    const suspendChance = this.options.suspendChance ?? 0.5;
    if (roll < suspendChance) {
      await this.rt.ctx.stacks.requestSuspend(stack.id, 'chaos');
      this.figures.suspends++;
      const suspended = await this.waitSettled(stack.id, 'suspend');
      if (!suspended) return;
      if (suspended.state !== 'SUSPENDED') return this.noteFailure(suspended);
      if (Math.random() < 0.5) {
        const back = await this.rt.ctx.stacks.launch({ learner: name, context: CONTEXT, lab: this.lab, actor: 'chaos' });
        this.figures.resumes++;
        if (back.id !== stack.id) this.violation(`${name}: coming back made a second row (${back.id}) instead of resuming ${stack.id}`);
        const resumed = await this.waitSettled(back.id, 'resume');
        if (resumed && resumed.state !== 'READY') this.noteFailure(resumed);
        if (resumed?.state === 'READY' && resumed.provider !== stack.provider) this.violation(`${name}: resumed on ${resumed.provider}, but the stack lives on ${stack.provider}`);
      }
    } else if (roll < suspendChance + (this.options.deleteChance ?? 0.3)) {
      await this.remove(stack);
    }
  }

  /** The outage phase: every launch must land on the second cloud, with the handover recorded. */
  async outageLearner(name: string): Promise<void> {
    const stack = await this.launch(name);
    if (!stack) return;
    if (stack.state !== 'READY' || stack.provider !== SECOND) {
      this.violation(`${name}: launched while ${FIRST} was down, it ended ${stack.state} on ${stack.provider ?? 'no provider'} instead of READY on ${SECOND} (${stack.error ?? ''})`);
      return;
    }
    const events = await this.rt.ctx.stacks.events(stack.id);
    const handover = events.find((e) => e.fromState === 'CREATING' && e.toState === 'LAUNCH_PENDING');
    if (!handover || !handover.reason.includes(FIRST) || !handover.reason.includes(`trying '${SECOND}' next`)) {
      this.violation(`${name}: READY on ${SECOND} without a recorded handover from ${FIRST}: ${events.map((e) => e.toState).join(' > ')}`);
    }
  }

  /** Failovers (CREATING > LAUNCH_PENDING), and operations taken over from a worker whose lease ran out. */
  async history(): Promise<{ failovers: number; takeovers: number }> {
    let failovers = 0;
    let takeovers = 0;
    for (const row of await this.rows()) {
      const events = await this.rt.ctx.stacks.events(row.id);
      failovers += events.filter((e) => e.fromState === 'CREATING' && e.toState === 'LAUNCH_PENDING').length;
      takeovers += events.filter((e) => e.fromState === e.toState).length;
    }
    return { failovers, takeovers };
  }

  /**
   * No learner's lab lost: once the churn has settled, every READY or SUSPENDED row's stack is on Heat
   * in that state, and no row was written off because its stack vanished behind the store's back.
   */
  async audit(): Promise<void> {
    for (const row of await this.rt.ctx.stacks.list({ limit: 100_000 })) {
      const settled = await this.waitSettled(row.id, 'the last operation');
      if (!settled) continue;
      for (const e of await this.rt.ctx.stacks.events(row.id))
        if (e.actor === 'reconciler' && e.toState === 'DELETED') this.violation(`${row.learner}: the lab was written off, its stack gone behind the store's back (${e.reason})`);
      if (settled.state !== 'READY' && settled.state !== 'SUSPENDED') continue;
      this.figures.audited++;
      const live = await this.observer.get({ id: settled.providerStackId ?? '', name: settled.providerStackName });
      const want = settled.state === 'READY' ? ['CREATE', 'RESUME'] : ['SUSPEND'];
      if (!live || !want.includes(live.action) || live.status !== 'COMPLETE')
        this.violation(`${row.learner}: ${settled.state} in the store, but ${live ? `${live.action}_${live.status}` : 'gone'} on Heat`);
    }
  }

  /** Everything deleted (still under faults), then Heat must hold nothing of the deployment once its deletes finish. */
  async deleteAllAndAudit(): Promise<void> {
    const all = await this.rt.ctx.stacks.list({ limit: 100_000 });
    await pool(all, this.options.concurrency, async (row) => {
      const settled = await this.waitSettled(row.id, 'the last operation');
      if (settled) await this.remove(settled);
    });
    for (const row of await this.rows()) if (row.state !== 'DELETED') this.violation(`${row.learner}: ${row.state} at the end, not DELETED`);
    // Heat finishes its deletes on its own time; what is still there after that is left behind.
    const until = Math.min(Date.now() + 120_000, this.deadline + 60_000);
    let left: string[];
    for (;;) {
      const stacks = (await this.observer.list()).filter((s) => isOwnStackName(s.name, this.deployment));
      left = orphans(stacks, await this.rows(), this.deployment);
      const busy = stacks.some((s) => s.action === 'DELETE' && s.status === 'IN_PROGRESS');
      if ((left.length === 0 && !busy) || Date.now() > until) break;
      await sleep(1000);
    }
    for (const o of left) this.violation(`left on Heat after every lab was deleted: ${o}`);
  }
}
