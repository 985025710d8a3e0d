/** The service API for stacks: what LMS back-ends and tools call with the bearer token. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { Stack } from '../../domain/stack.ts';
import { STACK_ERRORS } from '../../domain/stack-errors.ts';
import { STATES, isState } from '../../domain/states.ts';
import { splitOutputs, type OutputPolicy } from '../../domain/secret-outputs.ts';
import { requireToken } from '../service-auth.ts';

/**
 * A stack as the API shows it: never a secret output. They are sealed when the stack becomes READY;
 * the filter here also holds for rows written before a lab declared an output secret.
 */
export function publicStack(stack: Stack, lab?: OutputPolicy) {
  return {
    id: stack.id,
    learner: stack.learner,
    context: stack.context,
    lab: stack.lab,
    run: stack.run,
    state: stack.state,
    provider: stack.provider,
    providerStackName: stack.providerStackName,
    publicIp: stack.publicIp,
    outputs: splitOutputs(stack.outputs, lab).visible,
    error: stack.error,
    errorCode: stack.errorCode,
    lastActivityAt: stack.lastActivityAt,
    suspendAt: stack.suspendAt,
    suspendBy: stack.suspendBy,
    deleteBy: stack.deleteBy,
    shelveAt: stack.shelveAt,
    stateChangedAt: stack.stateChangedAt,
    createdAt: stack.createdAt,
    updatedAt: stack.updatedAt,
  };
}

const text = { type: 'string' } as const;
const maybeText = { type: ['string', 'null'] } as const;
const maybeTime = { type: ['string', 'null'], format: 'date-time' } as const;
/**
 * The answer's shape, for the OpenAPI document and for fastify's compiled serializer (keepalives are the
 * hottest route, and a compiled serializer is several times faster than JSON.stringify).
 */
const stackSchema = {
  type: 'object',
  properties: {
    id: text,
    learner: text,
    context: text,
    lab: text,
    run: text,
    state: { type: 'string', enum: [...STATES] },
    provider: maybeText,
    providerStackName: text,
    publicIp: maybeText,
    outputs: { type: 'object', additionalProperties: true, description: 'The stack outputs, without the secret ones (private_key, password, the lab\'s secret_outputs, names that look secret)' },
    error: maybeText,
    errorCode: { type: ['string', 'null'], enum: [...Object.keys(STACK_ERRORS), null], description: 'What kind of failure `error` describes: docs/errors.md.' },
    lastActivityAt: { type: 'string', format: 'date-time' },
    suspendAt: maybeTime,
    suspendBy: maybeTime,
    deleteBy: maybeTime,
    shelveAt: { ...maybeTime, description: 'When a suspended stack is shelved unless used first (docs/openstack.md, "Dormancy"); null: never, or not suspended.' },
    stateChangedAt: { type: 'string', format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;
const oneStack = { 200: stackSchema };

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const actorHeader = (headers: Record<string, unknown>) => `api:${String(headers['x-stacklab-actor'] ?? 'service')}`;

export function stackRoutes(ctx: AppContext): FastifyPluginAsync {
  const view = (stack: Stack) => publicStack(stack, ctx.labs.get(stack.lab));
  return async (app) => {
    app.addHook('onRequest', requireToken(ctx.config, 'service'));

    app.post<{ Body: { learner: string; context: string; lab: string; run?: string } }>(
      '/stacks',
      {
        schema: {
          tags: ['stacks'],
          summary: 'Launch (or resume) the stack of a learner for a lab in a context; idempotent',
          response: oneStack,
          body: {
            type: 'object',
            required: ['learner', 'context', 'lab'],
            additionalProperties: false,
            properties: {
              learner: { type: 'string', minLength: 1, maxLength: 255 },
              context: { type: 'string', minLength: 1, maxLength: 255 },
              lab: { type: 'string', minLength: 1, maxLength: 64 },
              run: { type: 'string', maxLength: 255 },
            },
          },
        },
      },
      async (request, reply) => {
        const stack = await ctx.stacks.launch({ ...request.body, actor: actorHeader(request.headers) });
        return reply.status(200).send(view(stack));
      },
    );

    app.get<{ Querystring: { state?: string; lab?: string; learner?: string; context?: string; limit?: number; offset?: number } }>(
      '/stacks',
      {
        schema: {
          tags: ['stacks'],
          summary: 'List stacks, filtered by state (comma-separated), lab, learner, context',
          response: { 200: { type: 'object', properties: { stacks: { type: 'array', items: stackSchema } } } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              state: { type: 'string' },
              lab: { type: 'string' },
              learner: { type: 'string' },
              context: { type: 'string' },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
              offset: { type: 'integer', minimum: 0, default: 0 },
            },
          },
        },
      },
      async (request, reply) => {
        const states = request.query.state?.split(',').filter(Boolean) ?? [];
        const bad = states.filter((s) => !isState(s));
        if (bad.length) return reply.status(400).send({ code: 'BAD_REQUEST', message: 'The request is not valid.', detail: `unknown state ${bad.join(', ')}; known: ${STATES.join(', ')}` });
        const stacks = await ctx.stacks.list({ ...request.query, state: states.filter(isState) });
        return { stacks: stacks.map((s) => view(s)) };
      },
    );

    app.get<{ Params: { id: string } }>('/stacks/:id', { schema: { tags: ['stacks'], summary: 'One stack', params: idParams, response: oneStack } }, async (request) =>
      view(await ctx.stacks.get(request.params.id)),
    );
    app.get<{ Params: { id: string } }>('/stacks/:id/events', { schema: { tags: ['stacks'], summary: 'The stack history', params: idParams } }, async (request) => ({
      events: await ctx.stacks.events(request.params.id),
    }));
    app.post<{ Params: { id: string } }>('/stacks/:id/keepalive', { schema: { tags: ['stacks'], summary: 'The learner is active', params: idParams, response: oneStack } }, async (request) =>
      view(await ctx.stacks.keepalive(request.params.id, actorHeader(request.headers))),
    );
    app.post<{ Params: { id: string } }>('/stacks/:id/suspend', { schema: { tags: ['stacks'], summary: 'Suspend now', params: idParams, response: oneStack } }, async (request) =>
      view(await ctx.stacks.requestSuspend(request.params.id, actorHeader(request.headers))),
    );
    app.post<{ Params: { id: string } }>('/stacks/:id/resume', { schema: { tags: ['stacks'], summary: 'Resume now', params: idParams, response: oneStack } }, async (request) =>
      view(await ctx.stacks.requestResume(request.params.id, actorHeader(request.headers))),
    );
    app.post<{ Params: { id: string }; Body: { confirm?: string } }>(
      '/stacks/:id/reset',
      {
        schema: {
          tags: ['stacks'],
          summary: "Delete and launch again; needs confirm: 'RESET'",
          params: idParams,
          body: { type: 'object', properties: { confirm: { type: 'string' } } },
          response: oneStack,
        },
      },
      async (request) => view(await ctx.stacks.reset(request.params.id, request.body?.confirm, actorHeader(request.headers))),
    );
    app.delete<{ Params: { id: string } }>('/stacks/:id', { schema: { tags: ['stacks'], summary: 'Delete the stack', params: idParams, response: oneStack } }, async (request) =>
      view(await ctx.stacks.requestDelete(request.params.id, actorHeader(request.headers))),
    );
  };
}
