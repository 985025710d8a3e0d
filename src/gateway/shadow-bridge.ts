/**
 * A member of the course staff watching a learner's terminal (shadowing): the socket receives what the
 * learner's shell prints, from the learner's own session (src/gateway/live-terminals.ts), so the
 * learner keeps typing and both see the same screen. Keystrokes from this socket are dropped here,
 * on the server, until the watcher sends `{type:"takeover"}` (and the token allows it); then they go
 * into the learner's shell and the learner's page is told, until `{type:"release"}`.
 * When the learner has no terminal open, the watcher waits for the next one.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { LiveTerminal, LiveTerminals, Watcher } from './live-terminals.ts';
import { keepAlive } from './socket-keepalive.ts';
import { CLOSE, closeSocket, messageBytes, parseControl, sendControl as send } from './socket-messages.ts';

/** A watcher this far behind is cut off rather than slowing the learner's session. */
const WATCHER_BACKLOG = 4 << 20;

export interface ShadowOptions {
  stackId: string;
  /** The watcher's id (instructor), for the log. */
  who: string;
  /** Whether this watcher may take over (a read-only lab: never). */
  mayTakeOver: boolean;
  logger: Logger;
  /** Called when a take-over starts or ends, so it is recorded in the stack's history. */
  onTakeOver?: (taking: boolean) => void;
}

export function bridgeShadow(ws: WebSocket, terminals: LiveTerminals, opts: ShadowOptions): void {
  let live: LiveTerminal | undefined;
  let leave: (() => void) | undefined;
  let takingOver = false;
  let closed = false;

  const watcher: Watcher = {
    who: opts.who,
    output(chunk) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > WATCHER_BACKLOG) return finish(CLOSE.error, 'watcher too far behind');
      ws.send(chunk, { binary: true });
    },
    ended() {
      live = undefined;
      leave = undefined;
      if (takingOver) setMode(false);
      waitForSession();
    },
  };

  const setMode = (taking: boolean) => {
    if (takingOver === taking) return;
    takingOver = taking;
    opts.onTakeOver?.(taking);
    send(ws, { type: 'mode', mode: taking ? 'takeover' : 'watch' });
  };

  const attach = (session: LiveTerminal) => {
    if (closed || live) return;
    live = session;
    leave = session.join(watcher);
    send(ws, { type: 'status', state: 'connected', message: "Watching the learner's terminal." });
  };

  let stopWaiting: (() => void) | undefined;
  const waitForSession = () => {
    if (closed) return;
    const now = terminals.find(opts.stackId);
    if (now) return attach(now);
    send(ws, { type: 'status', state: 'waiting', message: 'The learner has no terminal open; waiting for one.' });
    stopWaiting?.();
    stopWaiting = terminals.onOpen(opts.stackId, (session) => {
      stopWaiting?.();
      stopWaiting = undefined;
      attach(session);
    });
  };

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    keepalive.stop();
    stopWaiting?.();
    if (takingOver) opts.onTakeOver?.(false);
    leave?.();
    closeSocket(ws, code, reason);
  };

  const keepalive = keepAlive(ws, () => finish(CLOSE.error, 'browser stopped answering pings'));

  ws.on('message', (data, isBinary) => {
    keepalive.heard();
    if (!isBinary) {
      const control = parseControl(data.toString());
      if (control?.type === 'ping') send(ws, { type: 'pong' });
      if (control?.type === 'takeover' && opts.mayTakeOver && live) {
        live.takeOver(watcher);
        setMode(true);
      }
      if (control?.type === 'release' && live) {
        live.release(watcher);
        setMode(false);
      }
      return;
    }
    // Watching: the keystrokes stop here; they never reach the lab.
    if (!takingOver || !live) return;
    live.input(watcher, messageBytes(data));
  });
  ws.on('close', () => finish(CLOSE.normal, 'browser closed'));
  ws.on('error', (error) => {
    opts.logger.debug({ err: error }, 'shadow socket error');
    finish(CLOSE.error, 'socket error');
  });

  send(ws, { type: 'mode', mode: 'watch' });
  waitForSession();
}
