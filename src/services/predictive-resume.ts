/**
 * Predictive resume (docs/pools.md, "Predictive resume"): a learner's suspended stacks are resumed before
 * the page asks for them, so the resume's wait (seconds to a minute on a cloud) is over when they get
 * there.
 *
 * - Course open: an LTI launch or the lab page's launch of one lab of a course resumes the learner's
 *   suspended stacks of the course's other labs (`predictive_resume` of them at most, most recently used
 *   first). On by default: the stack opened is resumed by the launch anyway; the others cost, when the
 *   learner does not go on to them, their lab's suspend timeout of running time each (the resume is no
 *   activity, so the idle suspender takes them back at the usual deadline).
 * - Habit: a periodic pass resumes them `habit_resume_lead` seconds before the time of day the learner
 *   usually opens the course (domain/habits.ts) and holds them until as long after it. Off by default
 *   (`habit_resume`): it learns from course visits it must keep, and each wrong guess costs twice the
 *   lead of running time (`npm run bench -- cost` with STACKLAB_COST_MODEL=habits measures it).
 *
 * Neither is a learner's action: the request writes no activity (the resume, when it completes, sets the
 * deadlines any resume does), the learner's time budget is honoured (a stack whose `block` budget is
 * used up stays suspended), and the history names who resumed it.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { PredictiveStore } from '../db/predictive-store.ts';
import { expectedAt, HABIT_LOOKBACK_DAYS, HABIT_WINDOW_SECONDS, type HabitRule } from '../domain/habits.ts';
import type { Stack } from '../domain/stack.ts';
import { blocksRunning, budgetDeadline } from '../domain/usage-budget.ts';
import type { Clock } from '../infra/clock.ts';
import { reason, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import type { StackService } from './stack-service.ts';
import type { SweepStats } from './sweeps.ts';

export const COURSE_OPEN_ACTOR = 'predictive-resume';
export const HABIT_ACTOR = 'habit-resume';

export interface PredictiveSettings {
  /** Stacks resumed when a learner opens a course; 0: off. */
  courseOpen: number;
  /** Habit resume; null: off. */
  habit: HabitRule | null;
}

const DAY_MS = 24 * 3600 * 1000;

export class PredictiveResume {
  private readonly store: PredictiveStore;

  constructor(
    private readonly deps: { db: Database; stacks: StackService; clock: Clock; logger: Logger; settings: PredictiveSettings },
  ) {
    this.store = new PredictiveStore(deps.db);
  }

  /**
   * A learner opened `lab` of course `context` (or, with no lab, the course itself: a signal from the
   * LMS): their suspended stacks of the course's other labs (all its labs) are resumed. Never fails the launch it rides on: a failure is logged and the page asks as before.
   * Returns the stacks sent to RESUME_PENDING.
   */
  async courseOpened(open: { learner: string; context: string; lab?: string }): Promise<Stack[]> {
    try {
      const now = this.deps.clock.now();
      if (this.deps.settings.habit) await this.store.recordVisit(open.learner, open.context, now);
      const limit = this.deps.settings.courseOpen;
      if (limit === 0) return [];
      const stacks = await this.store.suspendedInCourse({ learner: open.learner, context: open.context, exceptLab: open.lab, limit });
      const why = open.lab ? reason('history.resumedAheadLab', { lab: open.lab }) : reason('history.resumedAheadCourse');
      return await this.resumeAll(stacks, why, COURSE_OPEN_ACTOR);
    } catch (error) {
      this.deps.logger.warn({ err: error, ...open }, `predictive resume failed; the lab page will resume what it opens: ${(error as Error).message}`);
      return [];
    }
  }

  /**
   * One pass of habit resume: learners expected at a course within `leadSeconds` get their suspended
   * stacks of it resumed (as many as a course open would, at least one), each at most once per habit
   * window; visits older than the look-back are dropped.
   */
  async habitPass(now: Date): Promise<SweepStats> {
    const started = performance.now();
    const rule = this.deps.settings.habit;
    const errors: string[] = [];
    let acted = 0;
    if (rule) {
      const since = new Date(now.getTime() - (HABIT_LOOKBACK_DAYS + 1) * DAY_MS);
      await this.store.pruneVisits(since);
      const byCourse = new Map<string, { learner: string; context: string; at: Date[] }>();
      const target = new Date(now.getTime() + rule.leadSeconds * 1000);
      const recent = new Date(now.getTime() - 2 * HABIT_WINDOW_SECONDS * 1000);
      for (const v of await this.store.visitsNear({ since, target, windowSeconds: HABIT_WINDOW_SECONDS, recent })) {
        const key = `${v.learner}\n${v.context}`;
        const entry = byCourse.get(key) ?? { learner: v.learner, context: v.context, at: [] };
        entry.at.push(v.at);
        byCourse.set(key, entry);
      }
      for (const { learner, context, at } of byCourse.values()) {
        const usual = expectedAt(at, now, rule);
        if (!usual) continue;
        try {
          const stacks = await this.store.suspendedInCourse({
            learner,
            context,
            limit: Math.max(1, this.deps.settings.courseOpen),
            notResumedBy: { actor: HABIT_ACTOR, since: new Date(now.getTime() - (2 * HABIT_WINDOW_SECONDS + rule.leadSeconds) * 1000) },
          });
          // Held until as long after the usual time as it was resumed before it: a learner a few minutes
          // late still finds it running, and a wrong guess costs twice the lead, not a day's wait.
          const hold = new Date(usual.getTime() + rule.leadSeconds * 1000);
          acted += (await this.resumeAll(stacks, reason('history.resumedAheadHabit'), HABIT_ACTOR, hold)).length;
        } catch (error) {
          errors.push(`${learner} in ${context}: ${(error as Error).message}`);
        }
      }
    }
    return { sweep: 'habit resume', acted, errors, ms: performance.now() - started };
  }

  /**
   * SUSPENDED -> RESUME_PENDING for each stack its time budget lets run; null ones lost a race and are
   * skipped. With `holdUntil`, the resumed stack is not idle before then (its review time, which the
   * resume keeps when it is later than its own suspend timeout, services/operations.ts).
   */
  private async resumeAll(stacks: readonly Stack[], why: HistoryReason, actor: string, holdUntil?: Date): Promise<Stack[]> {
    const resumed: Stack[] = [];
    for (const stack of stacks) {
      const now = this.deps.clock.now();
      const status = await this.deps.stacks.budgets.status(stack, now, stack.id);
      if (blocksRunning(status)) continue;
      const moved = await this.deps.stacks.move(stack.id, ['SUSPENDED'], 'RESUME_PENDING', why, actor, {
        error: null,
        error_code: null,
        attempts: 0,
        suspend_by: budgetDeadline(status, now),
        ...(holdUntil ? { suspend_at: holdUntil } : {}),
      });
      if (moved) resumed.push(moved);
    }
    return resumed;
  }
}
