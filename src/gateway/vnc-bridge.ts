/**
 * One browser desktop: noVNC's WebSocket on one side, a TCP stream to the lab's VNC server (tunnelled
 * through SSH to the jump host) on the other. RFB itself runs in the browser. For a writable grant the
 * bytes pass unchanged both ways (no parsing, no copy). For a read-only grant the browser's bytes go
 * through RfbInputFilter, which drops keys, pointer, clipboard and the like on the server, so a hand-made
 * client with a read-only token cannot type either; the page's noVNC viewOnly only spares the round trip.
 * A watching instructor's socket (desktop-shadow-bridge.ts) brings a filter of its own, whose input it
 * opens and closes, and speaks JSON control in text frames beside the RFB bytes in binary ones.
 */
import { isRfbInput } from './activity-signal.ts';
import type { Logger } from 'pino';
import { plainReport, type ConnectionReport } from './connection-failure-log.ts';
import type { WebSocket } from 'ws';
import type { OpenedTunnel } from './open-target.ts';
import { RfbFilterError, RfbInputFilter } from './rfb-input-filter.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import { CLOSE, closeReason, messageBytes } from './socket-messages.ts';

const HIGH_WATER = 1 << 21;
const LOW_WATER = 1 << 19;

export interface VncBridgeOptions {
  logger: Logger;
  /** Where connection failures go (a gateway logs a failing one once); plain info lines when absent. */
  report?: ConnectionReport;
  /** Drop the viewer's input on the server (the grant is read-only). */
  readOnly?: boolean;
  onInput?: () => void;
  onOutput?: () => void;
  /** A filter the caller controls (a watcher's, opened on take-over); it wins over `readOnly`. */
  filter?: RfbInputFilter;
  /** Text frames are control for the caller, not RFB bytes (noVNC sends only binary ones). */
  onText?: (text: string) => void;
}

export interface VncBridge {
  /** Sends whole client messages to the desktop after what the browser sent so far. */
  inject(bytes: Buffer): void;
}

export function bridgeVnc(ws: WebSocket, open: () => Promise<OpenedTunnel>, opts: VncBridgeOptions): VncBridge {
  const report = opts.report ?? plainReport(opts.logger);
  let tunnel: OpenedTunnel | undefined;
  let closed = false;
  const early: Buffer[] = [];
  let unsent = 0;
  const filter = opts.filter ?? (opts.readOnly ? new RfbInputFilter() : undefined);

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    tunnel?.close();
    if (filter?.dropped.size) opts.logger.info({ dropped: Object.fromEntries(filter.dropped) }, 'read-only desktop: input dropped');
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, closeReason(reason));
  };

  const toDesktop = (bytes: Buffer) => {
    if (!tunnel) {
      early.push(bytes);
      return;
    }
    if (!tunnel.stream.write(bytes)) {
      ws.pause();
      tunnel.stream.once('drain', () => ws.resume());
    }
  };

  ws.on('message', (data, isBinary) => {
    if (closed) return;
    if (!isBinary && opts.onText) return opts.onText(data.toString());
    let bytes = messageBytes(data);
    // Screen-update requests flow whether or not anyone is there; only real input counts.
    if (isRfbInput(bytes)) opts.onInput?.();
    if (filter) {
      try {
        bytes = filter.push(bytes);
      } catch (error) {
        if (!(error instanceof RfbFilterError)) throw error;
        opts.logger.warn({ err: error.message }, 'read-only desktop: RFB stream refused');
        return finish(CLOSE.policy, `Read-only desktop: ${error.message}`);
      }
      if (bytes.length === 0) return;
    }
    toDesktop(bytes);
  });
  ws.on('close', () => finish(CLOSE.normal, 'browser closed'));
  ws.on('error', () => finish(CLOSE.error, 'socket error'));

  void (async () => {
    try {
      tunnel = await open();
      if (closed) return tunnel.close();
      report.connected();
      const stream = tunnel.stream;
      stream.on('data', (chunk: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        opts.onOutput?.();
        unsent += chunk.length;
        ws.send(chunk, { binary: true }, () => {
          unsent -= chunk.length;
          if (unsent < LOW_WATER && stream.isPaused()) stream.resume();
        });
        if (unsent > HIGH_WATER) stream.pause();
      });
      // The VNC server closing its socket reaches an SSH tunnel as EOF only ('end'): the channel itself
      // stays half-open until something is written into it, so waiting for 'close' left a viewer that
      // Xvnc had dropped on an open socket with no pixels, for as long as it sent nothing.
      stream.on('end', () => finish(CLOSE.normal, 'desktop closed'));
      stream.on('close', () => finish(CLOSE.normal, 'desktop closed'));
      stream.on('error', () => finish(CLOSE.error, 'desktop connection lost'));
      for (const bytes of early.splice(0)) stream.write(bytes);
    } catch (error) {
      report.failed('desktop connection failed', error as Error);
      finish(CLOSE.error, error instanceof LabConnectionError ? error.message : 'The desktop could not connect to the lab.');
    }
  })();
  return {
    inject(bytes) {
      if (!closed && bytes.length > 0) toDesktop(bytes);
    },
  };
}
