/**
 * A configured signal for predictive resume (docs/pools.md, "Predictive resume"): an LMS or a course
 * page that knows a learner has just opened a course (its outline, before any lab) tells stacklab, with
 * the API token, and their suspended stacks of the course resume while they read. The learner is named
 * by stacklab's id, or as the LMS knows them: the registered platform's name and their LTI `sub`. The
 * LTI launch and the lab page do the same for the other labs of the course without being asked.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { AppError } from '../../errors/api-errors.ts';
import { sentence } from '../../errors/sentence.ts';
import { learnerId } from '../../lti/identity.ts';
import { requireToken } from '../service-auth.ts';

const id = { type: 'string', minLength: 1, maxLength: 255 } as const;

interface CourseOpen {
  learner?: string;
  platform?: string;
  sub?: string;
  context: string;
  lab?: string;
}

export function courseOpenRoutes(ctx: AppContext) {
  /** stacklab's learner id for the body's learner, or for its platform and sub (as the LTI launch makes it). */
  async function learnerOf(body: CourseOpen): Promise<string> {
    if (body.learner && !body.platform && !body.sub) return body.learner;
    if (!body.learner && body.platform && body.sub) {
      const platform = await ctx.lti.platforms.get(body.platform);
      if (!platform) throw AppError.badInput(`no LTI platform '${body.platform}'`, sentence('error.BAD_REQUEST.courseOpenPlatform', { name: body.platform }));
      return learnerId(platform.issuer, body.sub);
    }
    throw AppError.badInput('give learner, or platform and sub', sentence('error.BAD_REQUEST.courseOpenWho'));
  }

  return async function courseOpensPlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));
    app.post<{ Body: CourseOpen }>(
      '/course-opens',
      {
        schema: {
          tags: ['stacks'],
          summary: "A learner opened a course: resume their suspended stacks of it ahead (of its other labs when `lab` is the one they opened)",
          body: {
            type: 'object',
            required: ['context'],
            additionalProperties: false,
            properties: {
              learner: { ...id, description: "stacklab's learner id (or give platform and sub)" },
              platform: { ...id, description: 'The registered LTI platform\'s name' },
              sub: { ...id, description: "The learner's LTI sub on that platform" },
              context: { ...id, description: 'The course: its LTI context id' },
              lab: id,
            },
          },
        },
      },
      async (request) => {
        const learner = await learnerOf(request.body);
        const resumed = await ctx.predictive.courseOpened({ learner, context: request.body.context, ...(request.body.lab ? { lab: request.body.lab } : {}) });
        return { resumed: resumed.map((s) => s.id) };
      },
    );
  };
}
