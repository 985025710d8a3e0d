/**
 * A member of the course staff watching a learner's RDP desktop. The gateway joins the learner's running
 * guacd connection (its id from live-rdp.ts) as one more user, read-only, and relays what guacd draws to
 * the class view's Guacamole tunnel (web/rdp-shadow-view.ts).
 *
 * guacd fixes a joined user's read-only setting when it joins, so a take-over joins again without it,
 * and giving back joins read-only once more: the page's display goes over to the new join once guacd
 * says `ready` (a join starts with the whole screen, so nothing is lost), and the old join leaves.
 * Whatever guacd does, the instructor's keys and mouse are dropped here too unless a take-over is
 * confirmed (defence in depth), and a watcher never resizes the learner's desktop nor sends clipboard,
 * files or pipes. Giving back (or leaving) first lets go of the keys and buttons the instructor held.
 *
 * Control rides in Guacamole's internal instructions (opcode ''), as the tunnel's ping does: the page
 * sends `takeover` and `release`; the gateway answers `mode,watch|takeover`, and `ended,<key>` with the
 * catalogue key of why the watch ended once the tunnel is open (before that, an `error` instruction as
 * rdp-bridge.ts sends). When the learner's session ends, so do its watchers' joins: guacd keeps an RDP
 * connection, and the learner's login, open while any user is still joined. The learner hears of the
 * watcher from its status poll (desktop-watchers.ts), as with a VNC desktop.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ConnectionReport } from './connection-failure-log.ts';
import type { DesktopWatch } from './desktop-watchers.ts';
import { closeGuacdSession, type GuacdSession } from './guacd-handshake.ts';
import { encodeInstruction, GUAC_STATUS, GuacamoleProtocolError, InstructionReader, type Instruction } from './guacamole-protocol.ts';
import { GuacHeldInput } from './guac-held-input.ts';
import { GuacStatusError } from './guac-status-error.ts';
import type { LiveRdp } from './live-rdp.ts';
import { errorInstruction } from './rdp-bridge.ts';
import { CLOSE, closeReason, messageBytes } from './socket-messages.ts';
import { inEnglish, sentence, type Sentence } from '../errors/sentence.ts';

const MAX_PAGE_INSTRUCTION = 32 * 1024;
const HIGH_WATER = 1 << 21;
const LOW_WATER = 1 << 19;
/** What keeps a join going in either mode. Not `size`: the learner's page sizes the desktop. */
const KEEPALIVE = new Set(['ack', 'nop', 'sync']);
/** What passes only during a confirmed take-over. */
const INPUT = new Set(['key', 'mouse', 'touch']);

export interface RdpShadowOptions {
  logger: Logger;
  report: ConnectionReport;
  /** The learner's session to join; none when they have no desktop open. */
  live: LiveRdp | undefined;
  /** Joins the learner's session as one more guacd user, read-only or not. */
  join(live: LiveRdp, readOnly: boolean): Promise<GuacdSession>;
  /** Whether this watcher may take over (not with a read-only grant, not on a read-only lab). */
  mayTakeOver: boolean;
  watch: DesktopWatch;
  onTakeOver?: (taking: boolean) => void;
}

export function bridgeRdpShadow(ws: WebSocket, opts: RdpShadowOptions): void {
  let current: GuacdSession | undefined;
  let detach = (): void => undefined;
  /** Whether the current join is a writable one. */
  let currentWritable = false;
  /** Input passes: a take-over confirmed and not given back. */
  let inputAllowed = false;
  /** The mode asked for last; a join made for an older request is dropped. */
  let wanted = false;
  let tunnelOpen = false;
  let closed = false;
  let unsent = 0;
  let dropped = 0;
  let queue: Promise<void> = Promise.resolve();
  const held = new GuacHeldInput();
  const fromPage = new InstructionReader(MAX_PAGE_INSTRUCTION);
  let unsubscribe = (): void => undefined;

  const send = (text: string) => {
    if (text === '' || ws.readyState !== ws.OPEN) return;
    unsent += text.length;
    ws.send(text, () => {
      unsent -= text.length;
      const socket = current?.socket;
      if (unsent < LOW_WATER && socket?.isPaused()) socket.resume();
    });
    if (unsent > HIGH_WATER) current?.socket.pause();
  };
  const control = (...args: string[]) => send(encodeInstruction('', ...args));

  const setTakenOver = (taking: boolean) => {
    opts.watch.takeOver(taking);
    opts.onTakeOver?.(taking);
    control('mode', taking ? 'takeover' : 'watch');
  };

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (current) {
      // Let go of what the instructor held before the writable join leaves.
      if (currentWritable) current.socket.write(held.releases());
      detach();
      closeGuacdSession(current);
      current = undefined;
    }
    if (inputAllowed) opts.onTakeOver?.(false);
    opts.watch.leave();
    if (dropped > 0) opts.logger.info({ dropped }, 'rdp shadow: input dropped while watching');
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
  };

  /** Tells the page why the watch ends, in its language (a catalogue key), then closes. */
  const fail = (said: Sentence, status: number, code: number = CLOSE.error) => {
    if (closed) return;
    if (!tunnelOpen && ws.readyState === ws.OPEN) ws.send(errorInstruction(said, status));
    if (tunnelOpen) control('ended', said.key);
    finish(code, inEnglish(said));
  };

  const joinFailed = (error: unknown) => {
    opts.report.failed('rdp shadow: could not join the learner\'s desktop', error as Error);
    if (error instanceof GuacStatusError) return fail(error.said, error.guacStatus);
    fail(sentence('screen.desktopCouldNotConnect'), GUAC_STATUS.upstreamError);
  };

  /** Makes `session` the join the page sees and talks to; the previous one leaves. */
  const attach = (session: GuacdSession, writable: boolean) => {
    if (current) {
      detach();
      closeGuacdSession(current);
    }
    current = session;
    currentWritable = writable;
    const onData = (text: string) => {
      try {
        send(session.reader.push(text).map((i) => i.raw).join(''));
      } catch (error) {
        opts.logger.info({ err: (error as Error).message }, 'rdp shadow: malformed instruction from guacd');
        fail(sentence('screen.guacdUnexpected'), GUAC_STATUS.upstreamError);
      }
    };
    // guacd closing a join means the learner's connection is over.
    const onClose = () => fail(sentence('class.shadowDesktopGone'), GUAC_STATUS.upstreamNotFound, CLOSE.normal);
    session.socket.on('data', onData);
    session.socket.on('close', onClose);
    session.socket.on('error', onClose);
    detach = () => {
      session.socket.off('data', onData);
      session.socket.off('close', onClose);
      session.socket.off('error', onClose);
    };
    if (!tunnelOpen) {
      tunnelOpen = true;
      // The page's tunnel opens on an internal instruction; guacd's id stays on the server.
      control('shadow');
      control('mode', 'watch');
    }
    send(session.early.map((i) => i.raw).join(''));
    session.socket.resume();
  };

  const rejoin = async (live: LiveRdp, taking: boolean) => {
    if (closed || wanted !== taking || currentWritable === taking) return;
    let session: GuacdSession;
    try {
      session = await opts.join(live, !taking);
    } catch (error) {
      return joinFailed(error);
    }
    // Given back (or gone) while joining: the join that request queued decides.
    if (closed || wanted !== taking) return closeGuacdSession(session);
    attach(session, taking);
    if (taking) {
      inputAllowed = true;
      setTakenOver(true);
    }
  };

  const switchTo = (live: LiveRdp, taking: boolean) => {
    if (wanted === taking) return;
    wanted = taking;
    if (!taking && inputAllowed) {
      // Input stops at once, not when the read-only join is ready.
      inputAllowed = false;
      if (current && currentWritable) current.socket.write(held.releases());
      setTakenOver(false);
    }
    queue = queue.then(() => rejoin(live, taking));
  };

  const fromPageInstruction = (live: LiveRdp, instruction: Instruction) => {
    const { opcode, args, raw } = instruction;
    if (opcode === '') {
      if (args[0] === 'ping') send(raw);
      if (args[0] === 'takeover' && opts.mayTakeOver) switchTo(live, true);
      if (args[0] === 'release') switchTo(live, false);
      return;
    }
    if (opcode === 'disconnect') return finish(CLOSE.normal, 'watcher left');
    if (INPUT.has(opcode)) {
      if (!inputAllowed || !currentWritable) {
        dropped++;
        return;
      }
      held.note(instruction);
    } else if (!KEEPALIVE.has(opcode)) return;
    current?.socket.write(raw);
  };

  ws.on('close', () => finish(CLOSE.normal, 'browser closed'));
  ws.on('error', () => finish(CLOSE.error, 'socket error'));

  const live = opts.live;
  if (!live) return fail(sentence('class.shadowNoDesktop'), GUAC_STATUS.upstreamNotFound, CLOSE.normal);
  ws.on('message', (data, isBinary) => {
    if (closed) return;
    if (isBinary) return fail(sentence('screen.desktopBinary'), GUAC_STATUS.clientBadRequest);
    let instructions: Instruction[];
    try {
      instructions = fromPage.push(messageBytes(data).toString('utf8'));
    } catch (error) {
      if (!(error instanceof GuacamoleProtocolError)) throw error;
      return fail(sentence('screen.desktopNotUnderstood'), GUAC_STATUS.clientBadRequest);
    }
    for (const instruction of instructions) fromPageInstruction(live, instruction);
  });
  unsubscribe = live.onEnd(() => fail(sentence('class.shadowDesktopGone'), GUAC_STATUS.upstreamNotFound, CLOSE.normal));
  if (closed) return;
  queue = (async () => {
    try {
      const session = await opts.join(live, true);
      if (closed) return closeGuacdSession(session);
      attach(session, false);
      opts.report.connected();
    } catch (error) {
      joinFailed(error);
    }
  })();
}
