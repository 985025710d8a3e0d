/**
 * Progress check routes. Service API (bearer API token): `POST/GET /api/v1/stacks/:id/check`, full detail.
 * Learner API (session): `POST/GET /api/v1/me/stacks/:id/check`, own stack only, filtered by the lab's
 * show_feedback / show_hints_on_error. POST starts a run (or joins the running one) and answers 202 at once;
 * with `?wait=true` it answers 200 when the run has finished. GET reads the latest run and the grade.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { runView, sayIn, statusView, type Say } from '../../checks/check-view.ts';
import { answerLocale } from '../../infra/i18n/negotiate.ts';
import { requireToken } from '../service-auth.ts';
import { requireSession } from '../session.ts';
import { actorOf, ownStack, sessionOf } from './learner-api.ts';

type CheckRequest = { Params: { id: string }; Querystring: { wait?: boolean } };

const schema = (summary: string, post: boolean) => ({
  tags: ['checks'],
  summary,
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
  ...(post ? { querystring: { type: 'object', properties: { wait: { type: 'boolean', default: false } } } } : {}),
});

function learnerSays(request: FastifyRequest): Say {
  return sayIn(answerLocale(request.headers['accept-language']));
}

export function checkRoutes(ctx: AppContext) {
  const checks = ctx.checks;

  async function start(ctxRequest: FastifyRequest<CheckRequest>, stackId: string, actor: string, audience: 'service' | 'learner') {
    const { run, joined } = await checks.start(stackId, actor);
    const lab = ctx.labs.get(run.lab);
    // A learner reads stacklab's framing in their language (the page sends it); the service API gets it as stored.
    const say = audience === 'learner' ? learnerSays(ctxRequest) : undefined;
    if (!ctxRequest.query.wait) return { code: 202, body: { joined, run: runView(run, lab, audience, say) } };
    const finished = await checks.wait(run.id, run.deadline.getTime() - Date.now());
    return { code: 200, body: { joined, run: runView(finished, lab, audience, say) } };
  }

  return async function checkRoutesPlugin(app: FastifyInstance): Promise<void> {
    await app.register(async (service) => {
      service.addHook('onRequest', requireToken(ctx.config, 'service'));
      service.post<CheckRequest>('/api/v1/stacks/:id/check', { schema: schema('Run the progress checks of a stack (or join the running run)', true) }, async (request, reply) => {
        const actor = `api:${String(request.headers['x-stacklab-actor'] ?? 'service')}`;
        const { code, body } = await start(request, request.params.id, actor, 'service');
        return reply.status(code).send(body);
      });
      service.get<CheckRequest>('/api/v1/stacks/:id/check', { schema: schema('The latest progress check run of a stack and the grade', false) }, async (request) => {
        const status = await checks.status(request.params.id);
        return statusView(status, ctx.labs.get((await ctx.stacks.get(request.params.id)).lab), 'service');
      });
    });

    await app.register(async (learner) => {
      learner.addHook('onRequest', requireSession(ctx));
      learner.post<CheckRequest>('/api/v1/me/stacks/:id/check', { schema: schema("Check the learner's progress in their own stack", true) }, async (request, reply) => {
        const session = sessionOf(request);
        const stack = await ownStack(ctx, session, request.params.id);
        const { code, body } = await start(request, stack.id, actorOf(session), 'learner');
        return reply.status(code).send(body);
      });
      learner.get<CheckRequest>('/api/v1/me/stacks/:id/check', { schema: schema("The latest progress check of the learner's own stack", false) }, async (request) => {
        const stack = await ownStack(ctx, sessionOf(request), request.params.id);
        return statusView(await checks.status(stack.id), ctx.labs.get(stack.lab), 'learner', learnerSays(request));
      });
    });
  };
}
