/**
 * Usage limits (domain/usage-budget.ts) applied to learners: which limit holds for a lab in a course (the
 * course's override, else the lab's), how much of it a learner used (the running time of their stack's
 * whole history, domain/billing.ts) and the time the course team added. The stack service asks before
 * every launch and resume (learner-quota.ts asks about stacks held and launch rate, this about time).
 */
import type { LabCatalog } from '../domain/lab-catalog.ts';
import { runningSeconds } from '../domain/billing.ts';
import { budgetStatus, type BudgetStatus, type UsageLimit } from '../domain/usage-budget.ts';
import { budgetExtended } from '../infra/i18n/history-reasons.ts';
import type { Queryable } from '../db/database.ts';
import { StackStore } from '../db/stack-store.ts';
import { UsageStore, type Extension } from '../db/usage-store.ts';
import { AppError } from '../errors/api-errors.ts';

/** One learner's place: the key of their stack. */
export interface LearnerLab {
  learner: string;
  context: string;
  lab: string;
}

export interface EffectiveLimit {
  limit: UsageLimit | null;
  /** Where it comes from: the course's override, the lab's `usage_limit`, or nowhere. */
  source: 'course' | 'lab' | 'none';
}

/** The longest single extension (a year of running time): a typo of a few zeros is refused, not granted. */
export const MAX_EXTENSION_SECONDS = 366 * 24 * 3600;

export class UsageLimits {
  readonly store: UsageStore;
  private readonly stacks: StackStore;

  constructor(private readonly deps: { db: Queryable; labs: LabCatalog }) {
    this.store = new UsageStore(deps.db);
    this.stacks = new StackStore(deps.db);
  }

  async limitFor(context: string, lab: string): Promise<EffectiveLimit> {
    const course = await this.store.courseLimit(context, lab);
    if (course) return { limit: { seconds: course.seconds, mode: course.mode }, source: 'course' };
    const own = this.deps.labs.get(lab)?.usageLimit;
    return own ? { limit: own, source: 'lab' } : { limit: null, source: 'none' };
  }

  /**
   * Where the learner stands now; null when no limit applies to the lab in this course. A caller that
   * holds the learner's stack already passes its id: the learner's status poll asks this on every answer,
   * and (learner, context, lab) is unique, so looking the stack up again would only find the same one.
   * (An argument of its own, not a field of `key`: a key parsed from a request must not choose the stack.)
   */
  async status(key: LearnerLab, now: Date, stackId?: string): Promise<BudgetStatus | null> {
    const { limit } = await this.limitFor(key.context, key.lab);
    if (!limit) return null;
    return budgetStatus(limit, await this.store.extensionSeconds(key.learner, key.context, key.lab), await this.usedSeconds(key, now, stackId));
  }

  /**
   * Running seconds of the learner's stack for the lab in the course, over its whole history since it
   * was theirs: a stack taken from a warm pool ran for the pool before (docs/pools.md), not for them.
   */
  async usedSeconds(key: LearnerLab, now: Date, knownStackId?: string): Promise<number> {
    const stack = knownStackId ? await this.stacks.get(knownStackId) : await this.stacks.findByKey(key.learner, key.context, key.lab);
    if (!stack) return 0;
    const history = (await this.store.histories([stack.id], now)).get(stack.id) ?? [];
    return runningSeconds(history, now, stack.claimedAt);
  }

  /** Adds time to one learner's budget; refuses a count that is not a whole positive number of seconds. */
  async extend(key: LearnerLab, seconds: number, actor: string, now: Date, note = ''): Promise<void> {
    if (!Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_EXTENSION_SECONDS) {
      throw AppError.badInput(`seconds must be a whole number from 1 to ${MAX_EXTENSION_SECONDS}, not ${seconds}`);
    }
    if (!this.deps.labs.get(key.lab)) throw new AppError('LAB_NOT_FOUND', `lab '${key.lab}'`);
    const extension: Extension = { ...key, seconds, note: note.slice(0, 500), actor, at: now };
    await this.store.extend(extension);
    // The stack's history says so too (a staff action, migration 015), next to the suspend it may undo.
    const stack = await this.stacks.findByKey(key.learner, key.context, key.lab);
    if (stack) await this.stacks.recordStaffAction({ id: stack.id, what: budgetExtended(seconds, extension.note), actor, now });
  }

  /** The error a launch or resume gets at a `block` limit: what happened and whom to ask. */
  refusal(key: LearnerLab, status: BudgetStatus): AppError {
    // The catalogue's sentence (translated, docs/i18n.md); the figures go in the detail.
    return new AppError('USAGE_LIMIT_REACHED', `learner ${key.learner} used ${Math.round(status.usedSeconds)} s of a ${status.budgetSeconds} s budget for ${key.lab} in ${key.context}`, {
      clientDetail: `${Math.round(status.usedSeconds)} of ${status.budgetSeconds} seconds of running time used (usage limit, mode block)`,
    });
  }
}

