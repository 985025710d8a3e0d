/**
 * The staff console's API under /console/api (docs/console.md): sign-in and sign-out, the stack list and a
 * stack's page, and bulk actions. Everything but sign-in needs an operator's session cookie
 * (http/console-auth.ts); actions go through the same StackService as the service API, with the operator
 * as the actor, so each lands in the stack's history with who did it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { CheckRun } from '../../checks/check-store.ts';
import { isState, STATES } from '../../domain/states.ts';
import { AppError } from '../../errors/api-errors.ts';
import { UserFacingError } from '../../errors/user-facing-error.ts';
import { sentence, type Sentence } from '../../errors/sentence.ts';
import { sayFor } from '../error-handler.ts';
import { CONSOLE_SORT_NAMES, ConsoleReads, type ConsoleSort } from '../../services/console-overview.ts';
import { clearedCookie, consoleToken, operatorActor, refuseCrossSite, requireOperator, sessionCookie } from '../console-auth.ts';
import { publicStack } from './stacks.ts';

export const BULK_ACTIONS = ['suspend', 'resume', 'delete', 'reset'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
/** Stacks one bulk request may act on: a page's worth, so one click cannot sweep the whole deployment. */
export const BULK_MAX = 200;

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

interface ListQuery {
  q?: string;
  learner?: string;
  lab?: string;
  context?: string;
  provider?: string;
  state?: string;
  sort: ConsoleSort;
  order: 'asc' | 'desc';
  after?: string;
  limit: number;
}

/** A check run as the console's stack page shows it: the scores and each check's outcome, no hints. */
export function consoleCheck(c: CheckRun) {
  const results = c.results.map((r) => ({ title: r.title, passed: r.passed, timedOut: r.timedOut }));
  return { id: c.id, status: c.status, actor: c.actor, startedAt: c.startedAt, finishedAt: c.finishedAt, passed: c.passed, total: c.total, score: c.score, error: c.error, results };
}

/** `detail` (English, for scripts and the log) with the sentence the console shows in its language. */
function badRequest(detail: string, said: Sentence): AppError {
  return new AppError('BAD_REQUEST', detail, { clientDetail: detail, message: said });
}

export function consoleApi(ctx: AppContext) {
  const queries = new ConsoleReads(ctx.db);
  const log = ctx.logger.child({ component: 'console' });
  return async function consoleApiPlugin(app: FastifyInstance): Promise<void> {
    app.post<{ Body: { name: string; password: string } }>(
      '/console/api/sign-in',
      {
        schema: {
          hide: true,
          body: { type: 'object', required: ['name', 'password'], additionalProperties: false, properties: { name: text(64), password: text(1024) } },
        },
      },
      async (request, reply) => {
        refuseCrossSite(request);
        const { name, password } = request.body;
        try {
          const signedIn = await ctx.operators.signIn(name, password, request.ip);
          log.info({ operator: name, address: request.ip }, 'operator signed in to the console');
          const maxAge = Math.floor((signedIn.expiresAt.getTime() - ctx.clock.now().getTime()) / 1000);
          return reply.header('set-cookie', sessionCookie(ctx.config, signedIn.token, maxAge)).header('cache-control', 'no-store').send({ operator: name, expiresAt: signedIn.expiresAt });
        } catch (error) {
          if (error instanceof UserFacingError) log.warn({ operator: name.slice(0, 80), address: request.ip, code: error.code }, 'console sign-in refused');
          throw error;
        }
      },
    );

    app.post('/console/api/sign-out', { schema: { hide: true } }, async (request, reply) => {
      refuseCrossSite(request);
      const token = consoleToken(request, ctx.config);
      if (token) {
        const operator = await ctx.operators.operatorFor(token);
        await ctx.operators.signOut(token);
        if (operator) log.info({ operator }, 'operator signed out of the console');
      }
      return reply.header('set-cookie', clearedCookie(ctx.config)).send({ signedOut: true });
    });

    await app.register(async (signedIn) => {
      signedIn.addHook('onRequest', requireOperator(ctx));
      signedIn.addHook('onSend', async (_request, reply) => void reply.header('cache-control', 'no-store'));

      signedIn.get('/console/api/me', { schema: { hide: true } }, async (request) => ({ operator: request.operator }));

      signedIn.get<{ Querystring: ListQuery }>(
        '/console/api/stacks',
        {
          schema: {
            hide: true,
            querystring: {
              type: 'object',
              additionalProperties: false,
              properties: {
                q: text(255),
                learner: text(255),
                lab: text(64),
                context: text(255),
                provider: text(64),
                state: text(400),
                sort: { type: 'string', enum: CONSOLE_SORT_NAMES, default: 'created' },
                order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
                after: text(800),
                limit: { type: 'integer', minimum: 1, maximum: BULK_MAX, default: 50 },
              },
            },
          },
        },
        async (request) => {
          const states = request.query.state?.split(',').filter(Boolean) ?? [];
          const unknown = states.filter((s) => !isState(s));
          if (unknown.length) throw badRequest(`unknown state ${unknown.join(', ')}; known: ${STATES.join(', ')}`, sentence('error.BAD_REQUEST.consoleUnknownState', { state: unknown.join(', '), known: STATES.join(', ') }));
          try {
            const page = await queries.list({ ...request.query, state: states.filter(isState) });
            return { stacks: page.stacks.map((s) => publicStack(s, ctx.labs.get(s.lab))), next: page.next };
          } catch (error) {
            if (error instanceof RangeError) throw badRequest(error.message, sentence('error.BAD_REQUEST.consoleCursor'));
            throw error;
          }
        },
      );

      signedIn.get<{ Params: { id: string } }>(
        '/console/api/stacks/:id',
        { schema: { hide: true, params: { type: 'object', required: ['id'], properties: { id: text(64) } } } },
        async (request) => {
          const stack = await ctx.stacks.get(request.params.id);
          const [events, checks, grades] = await Promise.all([ctx.stacks.events(stack.id), ctx.checks.store.forStack(stack.id, 20), queries.grades(stack)]);
          return {
            stack: publicStack(stack, ctx.labs.get(stack.lab)),
            events,
            checks: checks.map(consoleCheck),
            grades,
          };
        },
      );

      signedIn.post<{ Body: { action: BulkAction; ids: string[]; confirm: number } }>(
        '/console/api/stacks/bulk',
        {
          schema: {
            hide: true,
            body: {
              type: 'object',
              required: ['action', 'ids', 'confirm'],
              additionalProperties: false,
              properties: {
                action: { type: 'string', enum: [...BULK_ACTIONS] },
                ids: { type: 'array', minItems: 1, maxItems: BULK_MAX, uniqueItems: true, items: text(64) },
                confirm: { type: 'integer', description: 'How many stacks the operator confirmed: must equal ids.length' },
              },
            },
          },
        },
        async (request) => {
          const { action, ids, confirm } = request.body;
          if (confirm !== ids.length) throw badRequest(`confirm says ${confirm} stacks but ids lists ${ids.length}: confirm the number of stacks you are acting on`, sentence('error.BAD_REQUEST.consoleConfirm', { confirm, count: ids.length }));
          const actor = operatorActor(request.operator!);
          log.info({ operator: request.operator, action, count: ids.length }, 'console bulk action');
          const results = [];
          for (const id of ids) results.push(await actOn(ctx, action, id, actor, request));
          return { action, results };
        },
      );
    });
  };
}

async function actOn(ctx: AppContext, action: BulkAction, id: string, actor: string, request: FastifyRequest) {
  try {
    const stack =
      action === 'suspend'
        ? await ctx.stacks.requestSuspend(id, actor)
        : action === 'resume'
          ? await ctx.stacks.requestResume(id, actor)
          : action === 'delete'
            ? await ctx.stacks.requestDelete(id, actor)
            : await ctx.stacks.reset(id, 'RESET', actor);
    return { id, ok: true, state: stack.state };
  } catch (error) {
    // Each refusal in the console's language, as the error handler would answer it.
    const say = (said: Sentence) => sayFor(said, request.headers['accept-language']);
    if (error instanceof UserFacingError) return { id, ok: false, code: error.code, message: error.said ? say(error.said) : error.message };
    request.log.error({ err: error, stack: id, action }, 'console bulk action failed');
    return { id, ok: false, code: 'INTERNAL', message: say(sentence('error.INTERNAL')) };
  }
}
