/**
 * WebSocket pings to the browser, so idle proxies do not cut a quiet socket and a browser that went
 * away is noticed: a ping every PING_MS, and the socket counts as gone when neither a pong nor any
 * message came back since the previous one. Shared by the terminal and shadow bridges.
 */
import type { WebSocket } from 'ws';

const PING_MS = 25_000;

export interface KeepAlive {
  /** The browser sent something: it is still there. */
  heard(): void;
  stop(): void;
}

export function keepAlive(ws: WebSocket, onSilent: () => void): KeepAlive {
  let alive = true;
  const pinger = setInterval(() => {
    if (!alive) return onSilent();
    alive = false;
    ws.ping();
  }, PING_MS);
  ws.on('pong', () => (alive = true));
  return {
    heard: () => (alive = true),
    stop: () => clearInterval(pinger),
  };
}
