/**
 * The browser-facing learner API under /api/v1/me: launch or come back to a lab, follow its state, keep
 * it alive, reset it, and get a short-lived connection token for the terminal / desktop. Every route
 * needs a learner session and acts only on the session's own stacks.
 */
import { parseAcceptLanguage } from '../../infra/i18n/negotiate.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { Lab } from '../../domain/lab.ts';
import type { Stack } from '../../domain/stack.ts';
import { SHELVED_TIER, isIn } from '../../domain/states.ts';
import { signConnectionToken, PROTOCOL, TOKEN_PROTOCOL_PREFIX, type ConnectionKind } from '../../gateway/connection-token.ts';
import { DEFAULT_SERVER, findServer, labServers } from '../../domain/lab-servers.ts';
import { AppError } from '../../errors/api-errors.ts';
import { sentence } from '../../errors/sentence.ts';
import { signLabFileAccess } from '../lab-file-access.ts';
import { DEPARTURE_TOKEN_TTL, signDepartureToken } from '../departure-token.ts';
import { requireSession, type Session } from '../session.ts';
import { labView, RDP_UNAVAILABLE, stackView, statusVersion, usageView } from './learner-view.ts';

type IdParams = { Params: { id: string } };
type LabParams = { Params: { lab: string } };
type StatusQuery = { Querystring: { wait?: number; since?: string } };

/**
 * A status request may wait this long at most for a change: under the read timeouts reverse proxies
 * commonly default to (30 to 60 s; docs/reverse-proxy.md), so a quiet wait is never cut by one.
 */
export const MAX_STATUS_WAIT = 25;
const STATUS_QUERY = {
  type: 'object',
  properties: {
    wait: { type: 'integer', minimum: 0, maximum: MAX_STATUS_WAIT, description: `Seconds to wait for the stack to differ from \`since\` (at most ${MAX_STATUS_WAIT}); 0 answers at once.` },
    since: { type: 'string', minLength: 1, maxLength: 80, description: "The `version` (or just the `state`) of the status the caller has; needed with `wait`." },
  },
} as const;

/** A learner's permission to open one terminal or desktop, as the lab page receives it. */
export interface ConnectionGrant {
  path: string;
  /** WebSocket subprotocols: stacklab's and the one carrying the signed connection token. */
  protocols: string[];
  kind: ConnectionKind;
  server: string;
  readOnly: boolean;
  /** Seconds the token stays valid. */
  expiresIn: number;
}

export function sessionOf(request: FastifyRequest): Session {
  if (!request.session) throw new AppError('UNAUTHORIZED', 'route used without requireSession');
  return request.session;
}

export function actorOf(session: Session): string {
  return `learner:${session.learner}`;
}

/** The lab, if this session may open it (an LTI link pins a session to one lab). */
export function labFor(ctx: AppContext, session: Session, id: string): Lab {
  const lab = ctx.labs.get(id);
  if (!lab) throw new AppError('LAB_NOT_FOUND', `lab '${id}'`);
  if (session.lab && session.lab !== id) throw new AppError('FORBIDDEN', `session is for lab '${session.lab}', not '${id}'`);
  return lab;
}

/** The stack, if it belongs to the session's learner; another learner's stack is reported as missing. */
export async function ownStack(ctx: AppContext, session: Session, id: string): Promise<Stack> {
  const stack = await ctx.stacks.get(id);
  if (stack.learner !== session.learner || stack.context !== session.context) {
    throw new AppError('STACK_NOT_FOUND', `stack '${id}' belongs to another learner`);
  }
  return stack;
}

export function guacdConfigured(ctx: AppContext): boolean {
  return Boolean(ctx.config.guacd_url);
}

function kindOf(lab: Lab): ConnectionKind {
  return lab.protocol === 'ssh' ? 'terminal' : lab.protocol;
}

const RESET_BODY = { type: ['object', 'null'], properties: { confirm: { type: 'string', maxLength: 16 } } } as const;
const CONNECTION_BODY = { type: ['object', 'null'], additionalProperties: false, properties: { server: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export function learnerApi(ctx: AppContext) {
  return async function learnerApiPlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireSession(ctx));
    const now = () => ctx.clock.now();
    // A shelved lab's wake-up takes minutes: the page says how long, from the provider's recent wake-ups.
    const plainView = async (stack: Stack) => {
      if (!stack.provider || !isIn(stack.state, SHELVED_TIER)) return stackView(stack, now());
      const configured = ctx.providers.get(stack.provider)?.dormancy?.unshelveEstimate ?? 0;
      return stackView(stack, now(), { unshelveEstimate: await ctx.stacks.wakeEstimates.estimate(stack.provider, configured) });
    };
    // The time budget is read from the stack's history: on every answer but the keepalive (the hottest
    // route), whose page keeps the budget it last got and counts down itself. The desktop's watchers
    // ride along: the page's status poll is how a desktop's learner hears of them.
    const view = async (stack: Stack) => ({
      ...(await plainView(stack)),
      failureSaid: await ctx.stacks.failureReason(stack).then((r) => (r?.reasonKey ? { key: r.reasonKey, values: r.reasonValues ?? {} } : null)),
      usage: usageView(await ctx.stacks.budgets.status(stack, now(), stack.id)),
      desktopWatch: ctx.desktopWatchers.presence(stack.id) ?? null,
    });

    app.get('/api/v1/me', async (request) => {
      const session = sessionOf(request);
      return { learner: session.learner, context: session.context, displayName: session.displayName ?? null, roles: session.roles, lab: session.lab ?? null };
    });

    app.get<LabParams>('/api/v1/me/labs/:lab', async (request) => {
      const session = sessionOf(request);
      const lab = labFor(ctx, session, request.params.lab);
      const [stack] = await ctx.stacks.list({ learner: session.learner, context: session.context, lab: lab.id, limit: 1 });
      // A hidden lab's images open only with a token in their URLs (an <img> sends no bearer session).
      const fileAccess = lab.hidden ? await signLabFileAccess(ctx.keys, lab.id, ctx.config.session_ttl) : undefined;
      const languages = parseAcceptLanguage(request.headers['accept-language']);
      return { lab: labView(lab, ctx.config, guacdConfigured(ctx), fileAccess, languages), stack: stack ? await view(stack) : null };
    });

    app.post<LabParams>('/api/v1/me/labs/:lab/launch', async (request) => {
      const session = sessionOf(request);
      const lab = labFor(ctx, session, request.params.lab);
      // The lab page opened the course (docs/pools.md, "Predictive resume"); it never fails the launch.
      const [stack] = await Promise.all([
        ctx.stacks.launch({ learner: session.learner, context: session.context, lab: lab.id, actor: actorOf(session) }),
        ctx.predictive.courseOpened({ learner: session.learner, context: session.context, lab: lab.id }),
      ]);
      return view(stack);
    });

    // The lab page's long-poll: the status at once when it differs from what the page has (`since`), else
    // as soon as the stack changes (any process: the store's notification), else after `wait` seconds.
    app.addHook('preClose', async () => ctx.stacks.statusWaits.close());
    app.get<IdParams & StatusQuery>('/api/v1/me/stacks/:id', { schema: { querystring: STATUS_QUERY } }, async (request, reply) => {
      const session = sessionOf(request);
      const { wait = 0, since } = request.query;
      if (wait === 0) return view(await ownStack(ctx, session, request.params.id));
      if (since === undefined) throw AppError.badInput('wait needs since: the version (or state) of the status you have, from the last answer');
      // Whose it is first: a waiter (a place among the process's few) is only ever held on the caller's own stack.
      const read = await ownStack(ctx, session, request.params.id);
      const unchanged = (s: Stack) => since === statusVersion(s) || since === s.state;
      if (!unchanged(read)) return view(read);
      // Past the learner's own cap: answered at once (their page then polls), not at other learners' cost.
      const waiter = ctx.stacks.statusWaits.enter(read.id, session.learner);
      if (!waiter) return view(read);
      const gone = () => waiter.release();
      reply.raw.once('close', gone);
      try {
        // Read again now that the waiter is registered, so a change made since the first read is not missed.
        let stack = await ctx.stacks.get(read.id);
        const until = Date.now() + wait * 1000;
        while (unchanged(stack) && (await waiter.next(until))) stack = await ctx.stacks.get(stack.id);
        return await view(stack);
      } finally {
        waiter.release();
        reply.raw.off('close', gone);
      }
    });

    app.post<IdParams>('/api/v1/me/stacks/:id/keepalive', async (request) => {
      const session = sessionOf(request);
      const stack = await ownStack(ctx, session, request.params.id);
      return plainView(await ctx.stacks.keepalive(stack.id, actorOf(session)));
    });

    // The page's permission to send its departure beacon (routes/departures.ts), which cannot carry the session.
    app.post<IdParams>('/api/v1/me/stacks/:id/departure-token', async (request) => {
      const session = sessionOf(request);
      const stack = await ownStack(ctx, session, request.params.id);
      return { token: await signDepartureToken(ctx.keys, { learner: session.learner, stackId: stack.id }), expiresIn: DEPARTURE_TOKEN_TTL };
    });

    app.post<IdParams>('/api/v1/me/stacks/:id/resume', async (request) => {
      const session = sessionOf(request);
      const stack = await ownStack(ctx, session, request.params.id);
      // "Come back" covers every case: suspended -> resume, failed/deleted -> relaunch, pending suspend -> cancel.
      const lab = labFor(ctx, session, stack.lab);
      return view(await ctx.stacks.launch({ learner: stack.learner, context: stack.context, lab: lab.id, run: stack.run, actor: actorOf(session) }));
    });

    app.post<IdParams & { Body: { confirm?: unknown } }>('/api/v1/me/stacks/:id/reset', { schema: { body: RESET_BODY } }, async (request) => {
      const session = sessionOf(request);
      const stack = await ownStack(ctx, session, request.params.id);
      return view(await ctx.stacks.reset(stack.id, request.body?.confirm, actorOf(session)));
    });

    app.post<IdParams & { Body: { server?: string } | undefined }>('/api/v1/me/stacks/:id/connections', { schema: { body: CONNECTION_BODY } }, async (request) => {
      const session = sessionOf(request);
      const stack = await ownStack(ctx, session, request.params.id);
      const lab = labFor(ctx, session, stack.lab);
      if (stack.state !== 'READY') throw new AppError('INVALID_STATE', `stack is ${stack.state}`, { message: sentence('error.INVALID_STATE.labNotRunning') });
      if (lab.protocol === 'rdp' && !guacdConfigured(ctx)) {
        throw new AppError('BAD_REQUEST', 'rdp lab without guacd', { message: RDP_UNAVAILABLE });
      }
      const server = request.body?.server ?? labServers(lab)[0]?.name ?? DEFAULT_SERVER;
      if (!findServer(lab, server)) throw AppError.badInput(`lab '${lab.id}' has no server '${server}'`);
      const kind = kindOf(lab);
      const token = await signConnectionToken(
        ctx.keys,
        { learner: session.learner, stackId: stack.id, server, kind, readOnly: lab.readOnly },
        ctx.config.token_ttl,
      );
      const grant: ConnectionGrant = {
        path: `/gateway/stacks/${stack.id}/${kind}`,
        protocols: [PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`],
        kind,
        server,
        readOnly: lab.readOnly,
        expiresIn: ctx.config.token_ttl,
      };
      return grant;
    });
  };
}
