/**
 * One browser desktop: noVNC's WebSocket on one side, a TCP stream to the lab's VNC server (tunnelled
 * through SSH to the jump host) on the other. Bytes pass unchanged; RFB itself runs in the browser.
 * Read-only desktops are view-only in the page (noVNC viewOnly); the RFB stream is not filtered here.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { OpenedTunnel } from './open-target.ts';
import { GatewayError } from './ssh-connect.ts';
import { CLOSE } from './socket-messages.ts';

const HIGH_WATER = 1 << 21;
const LOW_WATER = 1 << 19;

export interface VncBridgeOptions {
  logger: Logger;
  onInput?: () => void;
}

export function bridgeVnc(ws: WebSocket, open: () => Promise<OpenedTunnel>, opts: VncBridgeOptions): void {
  let tunnel: OpenedTunnel | undefined;
  let closed = false;
  const early: Buffer[] = [];
  let unsent = 0;

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    tunnel?.close();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };

  ws.on('message', (data) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    opts.onInput?.();
    if (!tunnel) {
      early.push(bytes);
      return;
    }
    if (!tunnel.stream.write(bytes)) {
      ws.pause();
      tunnel.stream.once('drain', () => ws.resume());
    }
  });
  ws.on('close', () => finish(CLOSE.normal, 'browser closed'));
  ws.on('error', () => finish(CLOSE.error, 'socket error'));

  void (async () => {
    try {
      tunnel = await open();
      if (closed) return tunnel.close();
      const stream = tunnel.stream;
      stream.on('data', (chunk: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        unsent += chunk.length;
        ws.send(chunk, { binary: true }, () => {
          unsent -= chunk.length;
          if (unsent < LOW_WATER && stream.isPaused()) stream.resume();
        });
        if (unsent > HIGH_WATER) stream.pause();
      });
      stream.on('close', () => finish(CLOSE.normal, 'desktop closed'));
      stream.on('error', () => finish(CLOSE.error, 'desktop connection lost'));
      for (const bytes of early.splice(0)) stream.write(bytes);
    } catch (error) {
      opts.logger.info({ err: (error as Error).message }, 'desktop connection failed');
      const reason = error instanceof GatewayError ? error.userMessage : 'The desktop could not connect to the lab.';
      finish(CLOSE.error, reason.slice(0, 120));
    }
  })();
}
