/**
 * Usage limits and the cost report over HTTP (docs/cost.md), for two callers:
 * - the operator, with the API token, under /api/v1: any course, lab and learner;
 * - a course's instructors, with their LTI session (instructor rights), under /api/v1/course: their own
 *   course (the session's context) only, whatever they ask for.
 * Both see the same answers: a learner's budget, extensions, and the report as JSON, CSV or an HTML page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { USAGE_LIMIT_MODES, type UsageLimitMode } from '../../domain/usage-budget.ts';
import { AppError } from '../../errors/api-errors.ts';
import { CostReports, type CostReportQuery } from '../../services/cost-report.ts';
import { MAX_EXTENSION_SECONDS, type LearnerLab } from '../../services/usage-limits.ts';
import { costReportCsv } from '../report/cost-csv.ts';
import { costReportHtml } from '../report/cost-page.ts';
import { pageLanguage } from '../request-locale.ts';
import { requireToken } from '../service-auth.ts';
import { isInstructor, requireSession } from '../session.ts';
import { sentence } from '../../errors/sentence.ts';

const id = { type: 'string', minLength: 1, maxLength: 255 } as const;
const month = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (UTC)' } as const;
const format = { type: 'string', enum: ['json', 'csv', 'html'], default: 'json' } as const;
/** The HTML page's language, ahead of Accept-Language (docs/i18n.md). */
const lang = { type: 'string', maxLength: 35, description: 'Language of the HTML page (a BCP 47 tag); else Accept-Language, else default_locale' } as const;
const extensionBody = {
  seconds: { type: 'integer', minimum: 1, maximum: MAX_EXTENSION_SECONDS, description: 'Running time added to the learner\'s budget' },
  note: { type: 'string', maxLength: 500 },
} as const;

type ReportQuery = CostReportQuery & { format?: 'json' | 'csv' | 'html'; lang?: string };
type ExtensionBody = LearnerLab & { seconds: number; note?: string };

export function usageRoutes(ctx: AppContext) {
  const reports = new CostReports({ db: ctx.db, labs: ctx.labs, prices: ctx.config.prices });
  const now = () => ctx.clock.now();

  async function budget(key: LearnerLab) {
    if (!ctx.labs.get(key.lab)) throw new AppError('LAB_NOT_FOUND', `lab '${key.lab}'`);
    const [effective, status, extensions] = await Promise.all([
      ctx.stacks.budgets.limitFor(key.context, key.lab),
      ctx.stacks.budgets.status(key, now()),
      ctx.stacks.budgets.store.extensions(key.learner, key.context, key.lab),
    ]);
    return { ...key, limit: effective.limit, source: effective.source, status, extensions };
  }

  async function extend(key: LearnerLab, body: { seconds: number; note?: string }, actor: string) {
    await ctx.stacks.budgets.extend(key, body.seconds, actor, now(), body.note ?? '');
    // A running lab's suspend_by moves to the new end of its budget.
    await ctx.stacks.applyBudget(key);
    ctx.logger.info({ ...key, seconds: body.seconds, actor }, 'usage budget extended');
    return budget(key);
  }

  async function sendReport(query: ReportQuery, request: FastifyRequest, reply: FastifyReply) {
    const report = await reports.report(query, now());
    const name = `stacklab-cost-${report.from}${report.to === report.from ? '' : `-${report.to}`}`;
    if (query.format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(costReportCsv(report));
    if (query.format === 'html') return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(costReportHtml(report, pageLanguage(ctx.config, request)));
    return report;
  }

  const reportQuery = (extra: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, properties: { ...extra, from: month, to: month, format, lang } }) as const;

  /** The operator's routes: the API token, any course. */
  async function operatorRoutes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));
    const actor = (request: FastifyRequest) => `api:${String(request.headers['x-stacklab-actor'] ?? 'service')}`;

    app.get<{ Querystring: LearnerLab }>(
      '/usage',
      { schema: { tags: ['usage'], summary: "A learner's time budget for a lab in a course", querystring: { type: 'object', required: ['learner', 'context', 'lab'], additionalProperties: false, properties: { learner: id, context: id, lab: id } } } },
      async (request) => budget(request.query),
    );
    app.post<{ Body: ExtensionBody }>(
      '/usage/extensions',
      {
        schema: {
          tags: ['usage'],
          summary: "Add running time to a learner's budget",
          body: { type: 'object', required: ['learner', 'context', 'lab', 'seconds'], additionalProperties: false, properties: { learner: id, context: id, lab: id, ...extensionBody } },
        },
      },
      async (request) => {
        const { learner, context, lab, ...rest } = request.body;
        return extend({ learner, context, lab }, rest, actor(request));
      },
    );
    app.put<{ Body: { context: string; lab: string; seconds: number; mode: UsageLimitMode } }>(
      '/usage/limits',
      {
        schema: {
          tags: ['usage'],
          summary: "Set a course's budget for a lab (overrides the lab's usage_limit)",
          body: {
            type: 'object',
            required: ['context', 'lab', 'seconds', 'mode'],
            additionalProperties: false,
            properties: { context: id, lab: id, seconds: { type: 'integer', minimum: 1, maximum: 2_000_000_000 }, mode: { type: 'string', enum: Object.keys(USAGE_LIMIT_MODES) } },
          },
        },
      },
      async (request) => {
        const { context, lab, seconds, mode } = request.body;
        if (!ctx.labs.get(lab)) throw new AppError('LAB_NOT_FOUND', `lab '${lab}'`);
        return ctx.stacks.budgets.store.setCourseLimit(context, lab, { seconds, mode }, actor(request), now());
      },
    );
    app.delete<{ Querystring: { context: string; lab: string } }>(
      '/usage/limits',
      { schema: { tags: ['usage'], summary: "Remove a course's budget for a lab (the lab's own applies again)", querystring: { type: 'object', required: ['context', 'lab'], additionalProperties: false, properties: { context: id, lab: id } } } },
      async (request) => ({ removed: await ctx.stacks.budgets.store.clearCourseLimit(request.query.context, request.query.lab) }),
    );
    app.get<{ Querystring: ReportQuery }>(
      '/reports/cost',
      { schema: { tags: ['usage'], summary: 'The cost report: per course, lab, learner and month (JSON, CSV or an HTML page)', querystring: reportQuery({ context: id, lab: id, learner: id }) } },
      async (request, reply) => sendReport(request.query, request, reply),
    );
  }

  /** The instructors' routes: their LTI session, their own course only. */
  async function courseRoutes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireSession(ctx));
    app.addHook('onRequest', async (request) => {
      if (!request.session || !isInstructor(request.session)) {
        throw new AppError('FORBIDDEN', `learner ${request.session?.learner ?? '?'} has no instructor rights in ${request.session?.context ?? '?'}`, {
          message: sentence('error.FORBIDDEN.courseTeamOnly'),
        });
      }
    });
    const context = (request: FastifyRequest) => request.session!.context;
    const actor = (request: FastifyRequest) => `instructor:${request.session!.learner}`;

    app.get<{ Querystring: { learner: string; lab: string } }>(
      '/usage',
      { schema: { tags: ['usage'], summary: "A learner's time budget in the instructor's course", querystring: { type: 'object', required: ['learner', 'lab'], additionalProperties: false, properties: { learner: id, lab: id } } } },
      async (request) => budget({ ...request.query, context: context(request) }),
    );
    app.post<{ Body: Omit<ExtensionBody, 'context'> }>(
      '/usage/extensions',
      {
        schema: {
          tags: ['usage'],
          summary: "Add running time to a learner's budget in the instructor's course",
          body: { type: 'object', required: ['learner', 'lab', 'seconds'], additionalProperties: false, properties: { learner: id, lab: id, ...extensionBody } },
        },
      },
      async (request) => {
        const { learner, lab, ...rest } = request.body;
        return extend({ learner, lab, context: context(request) }, rest, actor(request));
      },
    );
    app.get<{ Querystring: Omit<ReportQuery, 'context'> }>(
      '/reports/cost',
      { schema: { tags: ['usage'], summary: "The cost report of the instructor's course", querystring: reportQuery({ lab: id, learner: id }) } },
      async (request, reply) => sendReport({ ...request.query, context: context(request) }, request, reply),
    );
  }

  return async function usagePlugin(app: FastifyInstance): Promise<void> {
    await app.register(operatorRoutes, { prefix: '/api/v1' });
    await app.register(courseRoutes, { prefix: '/api/v1/course' });
  };
}
