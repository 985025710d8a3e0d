/**
 * The gateway's WebSocket routes: /gateway/stacks/:id/terminal, /vnc, /rdp, /shadow (course staff
 * watching the learner's terminal, src/gateway/shadow-bridge.ts) and /desktop-shadow (watching the
 * learner's VNC desktop, src/gateway/desktop-shadow-bridge.ts, or joining their RDP session,
 * src/gateway/rdp-shadow-bridge.ts).
 * Authorisation happens in preValidation, BEFORE the upgrade: the connection token must verify, name
 * this stack and this kind of connection, and belong to the stack's learner (a shadow token names the
 * watcher instead: only the class API, which checks the course, signs one, and the stack must still be
 * in the course the token names), and the stack must be READY.
 * Only then does @fastify/websocket upgrade and the handler open SSH with the stack's credentials.
 * What a watcher does (watching, taking over, giving back) is written in the stack's history with the
 * instructor as the actor.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { AppContext } from '../app/context.ts';
import type { Lab } from '../domain/lab.ts';
import type { Stack } from '../domain/stack.ts';
import { AppError } from '../errors/api-errors.ts';
import { isShadowKind, tokenFromProtocols, verifyConnectionToken, type ConnectionGrant, type ConnectionKind, type VerifiedGrant } from './connection-token.ts';
import { findServer, type LabServer } from '../domain/lab-servers.ts';
import { openSsh, openTunnel } from './open-target.ts';
import { bridgeTerminal, type ShellIo, type ShellTap } from './terminal-bridge.ts';
import { bridgeShadow } from './shadow-bridge.ts';
import { bridgeRdp } from './rdp-bridge.ts';
import { joinRdpSession, openRdpSession, type OpenedRdp } from './rdp-session.ts';
import { bridgeRdpShadow } from './rdp-shadow-bridge.ts';
import { bridgeVnc } from './vnc-bridge.ts';
import { bridgeDesktopShadow } from './desktop-shadow-bridge.ts';
import { terminalSize } from './socket-messages.ts';
import { activitySignal, type ActivitySignal } from './activity-signal.ts';
import { idlenessOf } from '../domain/idleness.ts';
import { useConnectionToken } from '../services/used-tokens.ts';
import { gauge } from '../infra/metrics.ts';
import { ConnectionFailureLog, type ConnectionReport } from './connection-failure-log.ts';
import { sentence } from '../errors/sentence.ts';
import { reason, reasonText, type HistoryReason } from '../infra/i18n/history-reasons.ts';

interface Authorised {
  grant: ConnectionGrant;
  stack: Stack;
  lab: Lab;
  server: LabServer;
}

type GatewayRequest = FastifyRequest<{ Params: { id: string }; Querystring: { cols?: string; rows?: string } }>;

const authorised = new WeakMap<FastifyRequest, Authorised>();

/** What every bridge gets: its log, whether input is dropped, and the activity signal. */
interface BridgeCommon {
  logger: Logger;
  readOnly: boolean;
  onInput: () => void;
  onOutput: () => void;
  report: ConnectionReport;
}

/** Sockets open per stack in this process, for the sockets_per_stack limit. */
class SocketCounts {
  private readonly open = new Map<string, number>();
  count(stackId: string): number {
    return this.open.get(stackId) ?? 0;
  }
  opened(stackId: string): () => void {
    this.open.set(stackId, this.count(stackId) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const left = this.count(stackId) - 1;
      if (left > 0) this.open.set(stackId, left);
      else this.open.delete(stackId);
    };
  }
}

async function authorise(ctx: AppContext, request: GatewayRequest, kind: ConnectionKind, sockets: SocketCounts): Promise<void> {
  const token = tokenFromProtocols(request.headers['sec-websocket-protocol']);
  if (!token) throw new AppError('UNAUTHORIZED', 'gateway: no connection token offered');
  let grant: VerifiedGrant;
  try {
    grant = await verifyConnectionToken(ctx.keys, token);
  } catch (error) {
    throw new AppError('UNAUTHORIZED', `gateway: connection token refused: ${(error as Error).message}`);
  }
  if (grant.stackId !== request.params.id || grant.kind !== kind) {
    throw new AppError('FORBIDDEN', `gateway: token for ${grant.kind} on stack ${grant.stackId} used for ${kind} on ${request.params.id}`);
  }
  const stack = await ctx.stacks.get(request.params.id);
  if (!isShadowKind(kind) && stack.learner !== grant.learner) throw new AppError('FORBIDDEN', `gateway: learner ${grant.learner} is not the owner of stack ${stack.id}`);
  if (isShadowKind(kind) && grant.context !== stack.context) throw new AppError('FORBIDDEN', `gateway: watcher ${grant.learner} is staff of ${grant.context ?? 'no course'}, stack ${stack.id} is in ${stack.context}`);
  if (stack.state !== 'READY') throw new AppError('INVALID_STATE', `gateway: stack ${stack.id} is ${stack.state}`);
  const lab = ctx.labs.get(stack.lab);
  if (!lab) throw new AppError('LAB_NOT_FOUND', `gateway: lab ${stack.lab} is not loaded`);
  const server = findServer(lab, grant.server);
  if (!server) throw new AppError('FORBIDDEN', `gateway: lab ${lab.id} has no server ${grant.server}`);
  const limit = ctx.config.sockets_per_stack;
  if (limit > 0 && sockets.count(stack.id) >= limit) {
    throw new AppError('LIMIT_REACHED', `gateway: ${limit} sockets open to stack ${stack.id} (setting sockets_per_stack)`, {
      message: sentence('error.LIMIT_REACHED.connections', { limit }),
    });
  }
  // Last, once everything else holds: a token opens one connection, so one copied from a page, a
  // proxy log or a browser extension is worth nothing after the page used it.
  if (!(await useConnectionToken(ctx.db, grant))) throw new AppError('UNAUTHORIZED', 'gateway: connection token used already', { message: sentence('error.UNAUTHORIZED.connectionTokenUsed') });
  authorised.set(request, { grant, stack, lab, server });
}

function intOr(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The terminal size the page asked for in the query, within bounds (80x24 when it asked for none). */
export function querySize(query: { cols?: string; rows?: string }): { cols: number; rows: number } {
  return terminalSize(intOr(query.cols, 80), intOr(query.rows, 24));
}

/**
 * The connection's activity signal (activity-signal.ts): keystrokes, and output within the lab's output
 * window, reach the ledger at most once per keepalive interval, in case the page's own timer is throttled.
 */
function activityOf(ctx: AppContext, stack: Stack, learner: string): ActivitySignal {
  const { outputActivity } = idlenessOf(ctx.labs.get(stack.lab), ctx.config);
  return activitySignal({
    touch: () => void ctx.stacks.keepalive(stack.id, `learner:${learner}`).catch((error: Error) => ctx.logger.debug({ err: error.message }, 'gateway keepalive failed')),
    now: () => ctx.clock.now().getTime(),
    everyMs: ctx.config.keepalive_interval * 1000,
    outputWindowMs: outputActivity * 1000,
  });
}

export function gatewayRoutes(ctx: AppContext) {
  return async function gatewayPlugin(app: FastifyInstance): Promise<void> {
    const sockets = new SocketCounts();
    const failures = new ConnectionFailureLog();
    const sessions = gauge(ctx.metrics, { name: 'stacklab_gateway_sessions', help: 'Terminal, VNC and RDP sessions open through this process', labelNames: ['kind'] });
    for (const kind of ['terminal', 'vnc', 'rdp'] as const) sessions.inc({ kind }, 0);
    /** /gateway/stacks/:id/<kind>: authorised before the upgrade, then handed to the kind's bridge. */
    const socketRoute = (kind: ConnectionKind, bridge: (socket: WebSocket, auth: Authorised, request: GatewayRequest, common: BridgeCommon) => void) =>
      app.get(`/gateway/stacks/:id/${kind}`, { websocket: true, preValidation: (request: GatewayRequest) => authorise(ctx, request, kind, sockets) }, (socket, request) => {
        const auth = authorised.get(request);
        if (!auth) return socket.close(4001, 'not authorised');
        const closed = sockets.opened(auth.stack.id);
        sessions.inc({ kind });
        socket.once('close', () => {
          closed();
          sessions.dec({ kind });
        });
        const logger = ctx.logger.child({ stack: auth.stack.id, server: auth.server.name, kind });
        bridge(socket, auth, request as GatewayRequest, {
          logger,
          report: failures.report(`${auth.stack.id}/${auth.server.name}/${kind}`, logger),
          readOnly: auth.grant.readOnly,
          ...((signal) => ({ onInput: () => signal.input(), onOutput: () => signal.output() }))(activityOf(ctx, auth.stack, auth.grant.learner)),
        });
      });

    socketRoute('terminal', (socket, auth, request, common) =>
      bridgeTerminal(socket, async () => openSsh(auth.stack, auth.lab, await ctx.stacks.secrets(auth.stack.id), auth.server), {
        ...common,
        ...querySize(request.query),
        onShell: (io) => shareShell(ctx, auth, io, common.logger),
      }),
    );
    socketRoute('shadow', (socket, auth, _request, common) => {
      const note = staffNotes(ctx, auth.stack.id, `instructor:${auth.grant.learner}`, common.logger);
      note(reason('history.watchStarted'));
      socket.once('close', () => note(reason('history.watchStopped')));
      bridgeShadow(socket, ctx.liveTerminals, {
        stackId: auth.stack.id,
        who: auth.grant.learner,
        mayTakeOver: !auth.grant.readOnly && !auth.lab.readOnly,
        logger: common.logger,
        onTakeOver: (taking) => {
          common.logger.info({ instructor: auth.grant.learner, learner: auth.stack.learner }, taking ? 'shadow: instructor took over the terminal' : 'shadow: instructor gave the terminal back');
          note(reason(taking ? 'history.tookOver' : 'history.gaveBack'));
        },
      });
    });
    socketRoute('desktop-shadow', (socket, auth, request, common) => {
      const note = staffNotes(ctx, auth.stack.id, `instructor:${auth.grant.learner}`, common.logger);
      note(reason('history.watchDesktopStarted'));
      const watcher = {
        logger: common.logger,
        report: common.report,
        mayTakeOver: !auth.grant.readOnly && !auth.lab.readOnly,
        watch: ctx.desktopWatchers.watch(auth.stack.id),
        onTakeOver: (taking: boolean) => {
          common.logger.info({ instructor: auth.grant.learner, learner: auth.stack.learner }, taking ? 'shadow: instructor took over the desktop' : 'shadow: instructor gave the desktop back');
          note(reason(taking ? 'history.tookOverDesktop' : 'history.gaveBackDesktop'));
        },
      };
      if (auth.lab.protocol === 'rdp') {
        // An RDP desktop is watched by joining the learner's own guacd connection, not by a second login.
        bridgeRdpShadow(socket, {
          ...watcher,
          live: ctx.liveRdp.find(auth.stack.id, auth.server.name),
          join: (live, readOnly) => joinRdpSession(ctx, live.connectionId, readOnly, request.query as Record<string, unknown>),
        });
      } else {
        bridgeDesktopShadow(socket, async () => openTunnel(auth.stack, auth.lab, await ctx.stacks.secrets(auth.stack.id), auth.server), watcher);
      }
      // After the bridge's own close handler, so a take-over ended by leaving is written before the leaving.
      socket.once('close', () => note(reason('history.watchDesktopStopped')));
    });
    socketRoute('vnc', (socket, auth, _request, common) =>
      bridgeVnc(socket, async () => openTunnel(auth.stack, auth.lab, await ctx.stacks.secrets(auth.stack.id), auth.server), common),
    );
    socketRoute('rdp', (socket, auth, request, common) =>
      bridgeRdp(socket, async () => publishRdp(ctx, auth, await openRdpSession(ctx, { ...auth, readOnly: auth.grant.readOnly }, request.query as Record<string, unknown>)), common),
    );
  };
}

/**
 * A learner's RDP session, published with guacd's id while it is open so course staff can join it
 * (src/gateway/live-rdp.ts); closing it (the bridge does, however it ends) ends its watchers' joins too.
 */
function publishRdp(ctx: AppContext, auth: Authorised, opened: OpenedRdp): OpenedRdp {
  const end = ctx.liveRdp.publish(auth.stack.id, auth.server.name, opened.session.id);
  return {
    session: opened.session,
    close() {
      end();
      opened.close();
    },
  };
}

/**
 * Records what a watcher does in the stack's history (staff actions, migration 015), one entry after the
 * other so the history keeps their order. A write that fails is logged: the watching goes on.
 */
function staffNotes(ctx: AppContext, stackId: string, actor: string, logger: Logger): (what: HistoryReason) => void {
  let last: Promise<unknown> = Promise.resolve();
  return (what) => {
    last = last
      .then(() => ctx.stacks.recordStaffAction(stackId, what, actor))
      .catch((error: Error) => logger.warn({ err: error }, `shadow: could not record "${reasonText(what)}" in the history: ${error.message}`));
  };
}

/**
 * A learner's open shell, lent to the rest of the gateway: published for course staff to watch
 * (src/gateway/live-terminals.ts) and recorded when the lab records (src/recordings/), the learner told.
 * A recording that cannot start is logged and the terminal works unrecorded.
 */
async function shareShell(ctx: AppContext, auth: Authorised, io: ShellIo, logger: Logger): Promise<ShellTap> {
  const { live, unpublish } = ctx.liveTerminals.publish({ stackId: auth.stack.id, server: auth.server.name, ...io });
  const recording = await ctx.recordings.start(auth.stack, auth.lab, auth.server.name, io.size()).catch((error: Error) => {
    logger.warn({ err: error }, `recording: could not start, the session is not recorded: ${error.message}`);
    return undefined;
  });
  if (recording) io.notify({ type: 'recording', on: true });
  return {
    output(chunk) {
      live.output(chunk);
      recording?.output(chunk);
    },
    resize: (cols, rows) => recording?.resize(cols, rows),
    close() {
      unpublish();
      void recording?.close();
    },
  };
}
