/**
 * The instructors' class view API under /api/v1/class: the roster of the session's course (with each
 * learner's time budget where the lab has one; extending it: class-budget.ts), resetting a
 * learner's lab, a connection token to shadow a learner's terminal or (VNC or RDP) desktop, the terminal
 * recordings, and the staff actions in a stack's history (playing a recording is one).
 * Every route needs a session with instructor rights (an LTI launch with an instructor role, see
 * src/domain/roles.ts) and acts only inside the session's own course (its LTI context): a stack or a
 * recording of another course is reported as missing, as if it did not exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import type { Lab } from '../../domain/lab.ts';
import type { Stack } from '../../domain/stack.ts';
import type { StackState } from '../../domain/states.ts';
import { AppError } from '../../errors/api-errors.ts';
import { sentence } from '../../errors/sentence.ts';
import { reason } from '../../infra/i18n/history-reasons.ts';
import { PROTOCOL, TOKEN_PROTOCOL_PREFIX, signConnectionToken } from '../../gateway/connection-token.ts';
import { attachRuns } from '../../recordings/attach-runs.ts';
import { classBudgets } from '../../services/class-budgets.ts';
import { classRoster } from '../../services/class-roster.ts';
import { isInstructor, requireSession, type Session } from '../session.ts';
import { sessionOf } from './learner-api.ts';
import { findServer, labServers, DEFAULT_SERVER } from '../../domain/lab-servers.ts';

type IdParams = { Params: { id: string } };

/** What the class page receives to open a shadow socket. */
export interface ShadowGrant {
  path: string;
  protocols: string[];
  /** A terminal (xterm and JSON control) or a VNC desktop (noVNC, control in text frames beside RFB). */
  screen: 'terminal' | 'desktop';
  /** A desktop's protocol: noVNC watches a VNC one, guacamole-common-js an RDP one. */
  protocol?: 'vnc' | 'rdp';
  /** The lab server watched: 'default' for a terminal (the learner's latest session), a screen for a desktop. */
  server: string;
  /** Whether this watcher may take over (not on a read-only lab). */
  mayTakeOver: boolean;
  expiresIn: number;
}

/** One staff action in a stack's history, as the class view lists it. */
export interface StaffActionItem {
  at: Date;
  /** The state the stack was in (a staff action moves none). */
  state: StackState;
  /** What was done, in English (as the history stores it), and as its catalogue key and values (null before migration 017). */
  what: string;
  whatKey: string | null;
  whatValues: Record<string, string | number> | null;
  actor: string;
}

export function instructorOf(request: FastifyRequest): Session {
  const session = sessionOf(request);
  if (!isInstructor(session)) {
    throw new AppError('FORBIDDEN', `class view: ${session.learner} has no instructor role in ${session.context}`, {
      message: sentence('error.FORBIDDEN.classViewStaffOnly'),
    });
  }
  return session;
}

export function instructorActor(session: Session): string {
  return `instructor:${session.learner}`;
}

/** The stack, if it belongs to the instructor's course; any other is reported as missing. */
export async function classStack(ctx: AppContext, session: Session, id: string): Promise<Stack> {
  const stack = await ctx.stacks.get(id);
  if (stack.context !== session.context) throw new AppError('STACK_NOT_FOUND', `stack '${id}' is in another course than ${session.context}`);
  return stack;
}

/** GET /api/v1/class: the course's roster and its labs (the class page reads its type from here). */
export async function classAnswer(ctx: AppContext, session: Session) {
  const now = ctx.clock.now();
  const roster = await classRoster(ctx.db, session.context, now);
  const budgets = await classBudgets(ctx.stacks.budgets, session.context, roster, now);
  const learners = roster.map((entry) => ({ ...entry, budget: budgets.get(entry.stackId) ?? null }));
  const labs = [...new Set(learners.map((l) => l.lab))].map((id) => ({ id, title: ctx.labs.get(id)?.title ?? id }));
  return { context: session.context, instructor: session.displayName ?? session.learner, labs, learners };
}

/** GET /api/v1/class/stacks/:id/recordings: each terminal recording with the check runs it led to. */
export async function recordingsAnswer(ctx: AppContext, stack: Stack) {
  const recordings = await ctx.recordings.store.forStack(stack.id);
  const runs = (await ctx.checks.store.forStack(stack.id, 200)).map((r) => ({ id: r.id, startedAt: r.startedAt, status: r.status, score: r.score, passed: r.passed, total: r.total }));
  return {
    recordings: attachRuns(recordings, runs).map((r) => ({ id: r.id, server: r.server, startedAt: r.startedAt, endedAt: r.endedAt, bytes: r.bytes, checkRuns: r.checkRuns })),
  };
}

/**
 * The lab server a watcher opens. A terminal watcher follows the learner's latest session wherever it is;
 * a VNC watcher opens one screen of its own (the first unless asked); an RDP watcher joins the learner's
 * own session (src/gateway/live-rdp.ts), so there must be one open, on the server asked for or any.
 */
function watchedServer(ctx: AppContext, lab: Lab, stack: Stack, asked: string | undefined): string {
  if (lab.protocol === 'ssh') return DEFAULT_SERVER;
  if (lab.protocol === 'vnc') return asked ?? labServers(lab)[0]?.name ?? DEFAULT_SERVER;
  const live = ctx.liveRdp.find(stack.id, asked);
  if (!live) throw new AppError('INVALID_STATE', `learner ${stack.learner} has no RDP session open on stack ${stack.id}`, { message: sentence('error.INVALID_STATE.noLiveDesktop') });
  return live.server;
}

const RESET_BODY = { type: ['object', 'null'], properties: { confirm: { type: 'string', maxLength: 16 } } } as const;
const SHADOW_BODY = { type: ['object', 'null'], properties: { server: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export function classApi(ctx: AppContext) {
  return async function classApiPlugin(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', requireSession(ctx));

    app.get('/api/v1/class', async (request) => {
      return classAnswer(ctx, instructorOf(request));
    });

    app.post<IdParams & { Body: { confirm?: unknown } }>('/api/v1/class/stacks/:id/reset', { schema: { body: RESET_BODY } }, async (request) => {
      const session = instructorOf(request);
      const stack = await classStack(ctx, session, request.params.id);
      const reset = await ctx.stacks.reset(stack.id, request.body?.confirm, instructorActor(session));
      return { stackId: reset.id, state: reset.state };
    });

    app.post<IdParams & { Body: { server?: string } | undefined }>('/api/v1/class/stacks/:id/shadow', { schema: { body: SHADOW_BODY } }, async (request) => {
      const session = instructorOf(request);
      const stack = await classStack(ctx, session, request.params.id);
      const lab = ctx.labs.get(stack.lab);
      if (!lab) throw new AppError('LAB_NOT_FOUND', `lab ${stack.lab} is not loaded`);
      if (stack.state !== 'READY') throw new AppError('INVALID_STATE', `stack is ${stack.state}`, { message: sentence('error.INVALID_STATE.nothingToWatch') });
      const desktop = lab.protocol !== 'ssh';
      const server = watchedServer(ctx, lab, stack, request.body?.server);
      if (desktop && !findServer(lab, server)) throw AppError.badInput(`lab '${lab.id}' has no server '${server}'`);
      const kind = desktop ? 'desktop-shadow' : 'shadow';
      // The token names the watcher and its course, not the learner: the gateway's shadow routes take no other kind.
      const token = await signConnectionToken(ctx.keys, { learner: session.learner, context: session.context, stackId: stack.id, server, kind, readOnly: lab.readOnly }, ctx.config.token_ttl);
      request.log.info({ instructor: session.learner, learner: stack.learner, stack: stack.id, kind }, 'class: shadow token issued');
      const grant: ShadowGrant = {
        path: `/gateway/stacks/${stack.id}/${kind}`,
        protocols: [PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`],
        screen: desktop ? 'desktop' : 'terminal',
        ...(desktop ? { protocol: lab.protocol === 'rdp' ? 'rdp' : 'vnc' } : {}),
        server,
        mayTakeOver: !lab.readOnly,
        expiresIn: ctx.config.token_ttl,
      };
      return grant;
    });

    // What course staff and operators did to the stack (the history's staff actions, migration 015). The
    // transitions stay out: their reasons may carry a provider's own words, which are for operators.
    app.get<IdParams>('/api/v1/class/stacks/:id/staff-actions', async (request) => {
      const session = instructorOf(request);
      const stack = await classStack(ctx, session, request.params.id);
      const events = await ctx.stacks.events(stack.id);
      const actions: StaffActionItem[] = events
        .filter((e) => e.kind === 'staff_action')
        .map((e) => ({ at: e.at, state: e.toState, what: e.reason, whatKey: e.reasonKey, whatValues: e.reasonValues, actor: e.actor }));
      return { actions };
    });

    app.get<IdParams>('/api/v1/class/stacks/:id/recordings', async (request) => {
      return recordingsAnswer(ctx, await classStack(ctx, instructorOf(request), request.params.id));
    });

    app.get<IdParams>('/api/v1/class/recordings/:id', async (request, reply) => {
      const session = instructorOf(request);
      const recording = await ctx.recordings.store.get(request.params.id);
      if (!recording || recording.context !== session.context) {
        throw new AppError('NOT_FOUND', `recording '${request.params.id}' is not in ${session.context}`, { message: sentence('error.NOT_FOUND.noSuchRecording') });
      }
      const text = await ctx.recordings.read(recording).catch(() => {
        throw new AppError('NOT_FOUND', `recording ${recording.id}: file ${recording.file} is gone`, { message: sentence('error.NOT_FOUND.recordingGone') });
      });
      await ctx.stacks
        .recordStaffAction(recording.stackId, reason('history.playedRecording', { started: recording.startedAt.getTime(), server: recording.server }), instructorActor(session))
        .catch((error: Error) => request.log.info({ err: error.message, recording: recording.id }, 'class: recording played, stack gone from the history'));
      return reply.type('application/x-asciicast; charset=utf-8').header('cache-control', 'no-store').send(text);
    });
  };
}
