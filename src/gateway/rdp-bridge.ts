/**
 * One browser RDP desktop: the page's Guacamole tunnel (web/guacamole-tunnel.ts) on a WebSocket, guacd
 * on TCP, after the server did the handshake (rdp-session.ts). Instructions are relayed whole: the page's
 * parser never sees half an instruction, and guacd never gets what the page may not send (handshake
 * opcodes, anything not in the client's vocabulary; input at all when read-only).
 * A failure to set up reaches the page as a Guacamole `error` instruction with a sentence and a status
 * code, then the socket closes with 1011. The sentence is the English text (what guacamole-common-js
 * reads) followed by its catalogue key and values, which the page formats in its language (web/rdp-view.ts).
 */
import { isRdpOutput } from './activity-signal.ts';
import type { Logger } from 'pino';
import { plainReport, type ConnectionReport } from './connection-failure-log.ts';
import type { WebSocket } from 'ws';
import { encodeInstruction, GUAC_STATUS, GuacamoleProtocolError, InstructionReader, type Instruction } from './guacamole-protocol.ts';
import { GuacStatusError } from './guac-status-error.ts';
import type { OpenedRdp } from './rdp-session.ts';
import { CLOSE, closeReason, messageBytes } from './socket-messages.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import { inEnglish, sentence, type Sentence } from '../errors/sentence.ts';

const HIGH_WATER = 1 << 21;
const LOW_WATER = 1 << 19;
/** guacd's own parser takes no more per instruction; a clipboard blob chunk is far below it. */
const MAX_CLIENT_INSTRUCTION = 32 * 1024;
const MAX_EARLY = 256;

/** What guacamole-common-js sends after the handshake. */
const CLIENT_OPCODES = new Set(['ack', 'argv', 'audio', 'blob', 'clipboard', 'disconnect', 'end', 'file', 'get', 'key', 'mouse', 'nop', 'pipe', 'put', 'size', 'sync', 'touch']);
/** A read-only viewer only keeps the session going. */
const READ_ONLY_OPCODES = new Set(['ack', 'disconnect', 'nop', 'size', 'sync']);
const INPUT_OPCODES = new Set(['key', 'mouse', 'touch']);

export interface RdpBridgeOptions {
  logger: Logger;
  /** Where connection failures go (a gateway logs a failing one once); plain info lines when absent. */
  report?: ConnectionReport;
  readOnly: boolean;
  onInput?: () => void;
  onOutput?: () => void;
}

/**
 * The gateway's `error` instruction: message and status as Guacamole has them (a client that knows no
 * more shows the English), then the sentence's key and its values as JSON.
 */
export function errorInstruction(said: Sentence, status: number): string {
  return encodeInstruction('error', inEnglish(said), status, said.key, JSON.stringify(said.values ?? {}));
}

export function bridgeRdp(ws: WebSocket, open: () => Promise<OpenedRdp>, opts: RdpBridgeOptions): void {
  const report = opts.report ?? plainReport(opts.logger);
  let opened: OpenedRdp | undefined;
  let closed = false;
  const early: string[] = [];
  const fromBrowser = new InstructionReader(MAX_CLIENT_INSTRUCTION);
  const allowed = opts.readOnly ? READ_ONLY_OPCODES : CLIENT_OPCODES;
  let unsent = 0;

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    opened?.close();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
  };

  const failPage = (said: Sentence, status: number) => {
    if (ws.readyState === ws.OPEN) ws.send(errorInstruction(said, status));
    finish(CLOSE.error, inEnglish(said));
  };

  const toGuacd = (instruction: Instruction) => {
    if (instruction.opcode === '') {
      // The tunnel's own ping: answered here, guacd has no such opcode.
      if (instruction.args[0] === 'ping' && ws.readyState === ws.OPEN) ws.send(instruction.raw);
      return;
    }
    if (!allowed.has(instruction.opcode)) return;
    if (INPUT_OPCODES.has(instruction.opcode)) opts.onInput?.();
    if (!opened) {
      if (early.push(instruction.raw) > MAX_EARLY) failPage(sentence('screen.desktopTooEarly'), GUAC_STATUS.clientBadRequest);
      return;
    }
    if (!opened.session.socket.write(instruction.raw)) {
      ws.pause();
      opened.session.socket.once('drain', () => ws.resume());
    }
  };

  ws.on('message', (data, isBinary) => {
    if (isBinary) return failPage(sentence('screen.desktopBinary'), GUAC_STATUS.clientBadRequest);
    const text = messageBytes(data).toString('utf8');
    try {
      for (const instruction of fromBrowser.push(text)) toGuacd(instruction);
    } catch (error) {
      if (!(error instanceof GuacamoleProtocolError)) throw error;
      opts.logger.info({ err: error.message }, 'rdp: malformed instruction from the page');
      failPage(sentence('screen.desktopNotUnderstood'), GUAC_STATUS.clientBadRequest);
    }
  });
  ws.on('close', () => finish(CLOSE.normal, 'browser closed'));
  ws.on('error', () => finish(CLOSE.error, 'socket error'));

  const relay = (instructions: Instruction[]) => {
    if (instructions.length === 0 || ws.readyState !== ws.OPEN) return;
    let text = '';
    let drew = false;
    for (const instruction of instructions) {
      text += instruction.raw;
      if (isRdpOutput(instruction.opcode)) drew = true;
      if (instruction.opcode === 'error') opts.logger.info({ guacd: instruction.args[0], status: instruction.args[1] }, 'rdp: guacd reported an error');
    }
    if (drew) opts.onOutput?.();
    const socket = opened?.session.socket;
    unsent += text.length;
    ws.send(text, () => {
      unsent -= text.length;
      if (unsent < LOW_WATER && socket?.isPaused()) socket.resume();
    });
    if (unsent > HIGH_WATER) socket?.pause();
  };

  void (async () => {
    try {
      opened = await open();
    } catch (error) {
      report.failed('rdp: desktop connection failed', error as Error);
      if (error instanceof GuacStatusError) return failPage(error.said, error.guacStatus);
      if (error instanceof LabConnectionError) return failPage(error.said ?? sentence('screen.desktopCouldNotConnect'), GUAC_STATUS.upstreamNotFound);
      return failPage(sentence('screen.desktopCouldNotConnect'), GUAC_STATUS.upstreamError);
    }
    if (closed) return opened.close();
    report.connected();
    const { session } = opened;
    // The tunnel opens on this internal instruction, as guacamole-common-js's own tunnels do.
    relay([{ opcode: '', args: [session.id], raw: encodeInstruction('', session.id) }, ...session.early]);
    session.socket.on('data', (text: string) => {
      try {
        relay(session.reader.push(text));
      } catch (error) {
        opts.logger.info({ err: (error as Error).message }, 'rdp: malformed instruction from guacd');
        failPage(sentence('screen.guacdUnexpected'), GUAC_STATUS.upstreamError);
      }
    });
    session.socket.on('close', () => finish(CLOSE.normal, 'desktop closed'));
    session.socket.on('error', () => finish(CLOSE.error, 'desktop connection lost'));
    for (const raw of early.splice(0)) session.socket.write(raw);
    session.socket.resume();
  })();
}
