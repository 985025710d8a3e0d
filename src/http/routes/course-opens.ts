/**
 * A configured signal for predictive resume (docs/pools.md, "Predictive resume"): an LMS or a course
 * page that knows a learner has just opened a course (its outline, before any lab) tells stacklab, with
 * the API token, and their suspended stacks of the course resume while they read. The LTI launch and
 * the lab page do the same for the other labs of the course without being asked.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { requireToken } from '../service-auth.ts';

const id = { type: 'string', minLength: 1, maxLength: 255 } as const;

export function courseOpenRoutes(ctx: AppContext) {
  return async function courseOpensPlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));
    app.post<{ Body: { learner: string; context: string; lab?: string } }>(
      '/course-opens',
      {
        schema: {
          tags: ['stacks'],
          summary: "A learner opened a course: resume their suspended stacks of it ahead (of its other labs when `lab` is the one they opened)",
          body: { type: 'object', required: ['learner', 'context'], additionalProperties: false, properties: { learner: id, context: id, lab: id } },
        },
      },
      async (request) => {
        const resumed = await ctx.predictive.courseOpened(request.body);
        return { resumed: resumed.map((s) => s.id) };
      },
    );
  };
}
