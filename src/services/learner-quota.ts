/**
 * The per-learner limits (domain/learner-limits.ts) applied to one launch. Called by the stack service
 * inside the transaction that makes the launch, after the learner's lock is taken, so the counts it
 * reads cannot change before the launch is written: of two launches at the last place, the second sees
 * the first.
 */
import type { LabCatalog } from '../domain/lab-catalog.ts';
import { LAUNCH_WINDOW_SECONDS, type LearnerLimits } from '../domain/learner-limits.ts';
import { AppError } from '../errors/api-errors.ts';
import type { LearnerUsage } from '../db/learner-usage.ts';
import { sentence } from '../errors/sentence.ts';

export interface LaunchToAdmit {
  learner: string;
  now: Date;
  /** The launch makes a stack count against `maxStacks` that did not (a new stack, a deleted one relaunched). */
  takesSlot: boolean;
}

/** Lab titles named in a message; the rest are counted. */
const TITLES_NAMED = 5;

export class LearnerQuota {
  constructor(
    private readonly limits: LearnerLimits,
    private readonly labs: LabCatalog,
  ) {}

  /** Throws STACK_LIMIT_REACHED or LAUNCH_RATE_LIMITED when the launch would pass a limit. */
  async admit(usage: LearnerUsage, launch: LaunchToAdmit): Promise<void> {
    const { maxStacks, launchesPerMinute } = this.limits;
    if (launch.takesSlot && maxStacks > 0) {
      const held = await usage.stacksHeld(launch.learner);
      if (held.length >= maxStacks) throw this.tooManyStacks(launch.learner, held.map((stack) => stack.lab));
    }
    if (launchesPerMinute > 0) {
      const recent = await usage.launchesSince(launch.learner, this.windowStart(launch.now), launchesPerMinute);
      const oldestCounted = recent[launchesPerMinute - 1];
      if (oldestCounted) throw this.tooFast(launch.learner, retryAfter(oldestCounted, launch.now));
    }
  }

  /** Launches at or before this moment no longer count; their rows may go. */
  windowStart(now: Date): Date {
    return new Date(now.getTime() - LAUNCH_WINDOW_SECONDS * 1000);
  }

  private tooManyStacks(learner: string, labIds: string[]): AppError {
    const max = this.limits.maxStacks;
    const titles = [...new Set(labIds)].map((id) => this.labs.get(id)?.title ?? id);
    return new AppError('STACK_LIMIT_REACHED', `learner ${learner} holds ${labIds.length} stacks, the limit is ${max} (max_stacks_per_learner)`, {
      // The titles are the authors' words, listed as they are; the sentence around them is translated.
      message: sentence('error.STACK_LIMIT_REACHED.named', { count: labIds.length, labs: titles.slice(0, TITLES_NAMED).join(', '), more: Math.max(0, titles.length - TITLES_NAMED) }),
      clientDetail: `${labIds.length} of ${max} stacks per learner in use (setting max_stacks_per_learner)`,
    });
  }

  private tooFast(learner: string, seconds: number): AppError {
    const max = this.limits.launchesPerMinute;
    return new AppError('LAUNCH_RATE_LIMITED', `learner ${learner} started ${max} launches in the last ${LAUNCH_WINDOW_SECONDS} s (launches_per_minute)`, {
      message: sentence('error.LAUNCH_RATE_LIMITED.wait', { max, seconds }),
      clientDetail: `${max} launches per learner per minute (setting launches_per_minute); the next one is possible in ${seconds} s`,
      retryAfterSeconds: seconds,
    });
  }
}

/** Whole seconds (at least 1) until a launch made at `at` leaves the window. */
function retryAfter(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() + LAUNCH_WINDOW_SECONDS * 1000 - now.getTime()) / 1000));
}
