/**
 * The small protocol on a terminal / desktop WebSocket. Bytes travel as binary frames (terminal output,
 * keystrokes, VNC data); control travels as JSON text frames.
 */
import type { RawData, WebSocket } from 'ws';
import { inEnglish, type Sentence, type SentenceKey, type SentenceValues } from '../errors/sentence.ts';

/** `pause` / `resume`: the browser's terminal is behind on rendering (xterm's write buffer is full). */
/** `takeover` / `release`: a watching instructor starts or stops typing (shadow sockets only). */
export type ClientControl = { type: 'resize'; cols: number; rows: number } | { type: 'ping' } | { type: 'pause' } | { type: 'resume' } | { type: 'takeover' } | { type: 'release' };

export type ServerControl =
  | { type: 'status'; state: 'connecting' | 'connected' | 'waiting'; message: string }
  /** To the learner: how many staff watch their terminal, and whether one of them is typing. */
  | { type: 'presence'; watchers: number; takenOver: boolean }
  /** To the learner: this terminal session is being recorded. */
  | { type: 'recording'; on: boolean }
  /** To a watcher: whether its keystrokes reach the lab now. */
  | { type: 'mode'; mode: 'watch' | 'takeover' }
  /** `message` in English; `key` and `values` name it in the catalogue, so the page says it in its language. */
  | { type: 'error'; message: string; key?: SentenceKey; values?: SentenceValues; retry: boolean }
  | { type: 'exit'; code: number | null }
  | { type: 'pong' };

/** WebSocket close codes the page tells apart: 4001 = token refused, 4003 = forbidden, 4009 = lab not ready;
 *  1008 (policy): the client sent what a read-only desktop refuses to pass on. */
export const CLOSE = { normal: 1000, policy: 1008, error: 1011, unauthorized: 4001, forbidden: 4003, notReady: 4009 } as const;

/** Sends a control message if the socket is still open (a closing socket drops it). */
export function sendControl(ws: WebSocket, message: ServerControl): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

/** An error for the page, said by its catalogue sentence (and in English for any other client). */
export function errorControl(said: Sentence, retry: boolean): ServerControl {
  return { type: 'error', message: inEnglish(said), key: said.key, ...(said.values ? { values: said.values } : {}), retry };
}

/** Closes the socket with `reason` cut to fit a close frame, unless it is already closing. */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
}

/** Close frames carry at most 123 bytes of reason; ws throws on more, so longer text is cut there. */
const MAX_CLOSE_REASON_BYTES = 123;

/** `text` cut to what a close frame can carry, between characters (a message may name a lab's server). */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  let cut = '';
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > MAX_CLOSE_REASON_BYTES) break;
    cut += char;
  }
  return cut;
}

/**
 * A message's bytes as ws delivers them. ws hands over a Buffer of its own per message (the default
 * binaryType), so it is used as is: this runs for every message a bridge relays.
 */
export function messageBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** A terminal size within what a screen can show, so a page cannot make the lab's pty allocate huge buffers. */
export const TERMINAL_LIMITS = { cols: { min: 2, max: 1000 }, rows: { min: 1, max: 500 } } as const;

export function terminalSize(cols: number, rows: number): { cols: number; rows: number } {
  const clamp = (n: number, { min, max }: { min: number; max: number }) => Math.min(Math.max(n, min), max);
  return { cols: clamp(cols, TERMINAL_LIMITS.cols), rows: clamp(rows, TERMINAL_LIMITS.rows) };
}

export function parseControl(text: string): ClientControl | undefined {
  try {
    const value = JSON.parse(text) as { type?: unknown; cols?: unknown; rows?: unknown };
    if (value.type === 'ping' || value.type === 'pause' || value.type === 'resume' || value.type === 'takeover' || value.type === 'release') return { type: value.type };
    if (value.type === 'resize' && Number.isInteger(value.cols) && Number.isInteger(value.rows)) {
      return { type: 'resize', ...terminalSize(value.cols as number, value.rows as number) };
    }
  } catch {}
  return undefined;
}
