/**
 * A learner's time budget from the class view (docs/cost.md, usage limits): the instructor adds running
 * time to the budget of one stack of their own course, by the stack's id as the roster lists it. The
 * same rules as the instructors' usage API (/api/v1/course/usage/extensions): instructor rights (403
 * otherwise), the session's course only (a stack of another course is missing: 404), the extension kept
 * with who and why, a running lab's deadline moved at once, and the stack's history told (a staff action).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { BudgetStatus } from '../../domain/usage-budget.ts';
import { AppError } from '../../errors/api-errors.ts';
import { sentence } from '../../errors/sentence.ts';
import { MAX_EXTENSION_SECONDS } from '../../services/usage-limits.ts';
import { requireSession } from '../session.ts';
import { classStack, instructorActor, instructorOf } from './class-api.ts';

/** What the class page receives after an extension. */
export interface ClassBudgetAnswer {
  stackId: string;
  budget: BudgetStatus;
}

const EXTENSION_BODY = {
  type: 'object',
  required: ['seconds'],
  additionalProperties: false,
  properties: {
    seconds: { type: 'integer', minimum: 1, maximum: MAX_EXTENSION_SECONDS, description: "Running time added to the learner's budget" },
    note: { type: 'string', maxLength: 500 },
  },
} as const;

export function classBudget(ctx: AppContext) {
  return async function classBudgetPlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireSession(ctx));
    app.post<{ Params: { id: string }; Body: { seconds: number; note?: string } }>(
      '/api/v1/class/stacks/:id/budget/extensions',
      { schema: { body: EXTENSION_BODY } },
      async (request): Promise<ClassBudgetAnswer> => {
        const session = instructorOf(request);
        const stack = await classStack(ctx, session, request.params.id);
        const key = { learner: stack.learner, context: stack.context, lab: stack.lab };
        const now = ctx.clock.now();
        if (!(await ctx.stacks.budgets.limitFor(key.context, key.lab)).limit) {
          throw AppError.badInput(`lab ${key.lab} has no usage limit in ${key.context}`, sentence('error.BAD_REQUEST.noBudgetToExtend'));
        }
        await ctx.stacks.budgets.extend(key, request.body.seconds, instructorActor(session), now, request.body.note ?? 'from the class view');
        // A running lab's suspend_by moves to the new end of its budget.
        await ctx.stacks.applyBudget(key);
        const budget = await ctx.stacks.budgets.status(key, now, stack.id);
        if (!budget) throw new AppError('INVALID_STATE', `the usage limit of ${key.lab} in ${key.context} went away during the extension`);
        request.log.info({ ...key, seconds: request.body.seconds, instructor: session.learner }, 'class: usage budget extended');
        return { stackId: stack.id, budget };
      },
    );
  };
}
