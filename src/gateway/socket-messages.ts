/**
 * The small protocol on a terminal / desktop WebSocket. Bytes travel as binary frames (terminal output,
 * keystrokes, VNC data); control travels as JSON text frames.
 */
/** `pause` / `resume`: the browser's terminal is behind on rendering (xterm's write buffer is full). */
export type ClientControl = { type: 'resize'; cols: number; rows: number } | { type: 'ping' } | { type: 'pause' } | { type: 'resume' };

export type ServerControl =
  | { type: 'status'; state: 'connecting' | 'connected'; message: string }
  | { type: 'error'; message: string; retry: boolean }
  | { type: 'exit'; code: number | null }
  | { type: 'pong' };

/** WebSocket close codes the page tells apart: 4001 = token refused, 4003 = forbidden, 4009 = lab not ready;
 *  1008 (policy): the client sent what a read-only desktop refuses to pass on. */
export const CLOSE = { normal: 1000, policy: 1008, error: 1011, unauthorized: 4001, forbidden: 4003, notReady: 4009 } as const;

export function parseControl(text: string): ClientControl | undefined {
  try {
    const value = JSON.parse(text) as { type?: unknown; cols?: unknown; rows?: unknown };
    if (value.type === 'ping' || value.type === 'pause' || value.type === 'resume') return { type: value.type };
    if (value.type === 'resize' && Number.isInteger(value.cols) && Number.isInteger(value.rows)) {
      const cols = Math.min(Math.max(value.cols as number, 2), 1000);
      const rows = Math.min(Math.max(value.rows as number, 1), 500);
      return { type: 'resize', cols, rows };
    }
  } catch {}
  return undefined;
}
