/**
 * Idle connections are closed (issue 14: "idle sockets are never closed"): one that never sends a
 * request after connection_timeout, a keep-alive connection left idle after an answer after
 * keep_alive_timeout, and a client that sends its request too slowly (a byte now and then, so the
 * connection is never silent) after request_timeout. The settings differ so that each test shows its
 * own setting at work.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { testApp, type TestApp } from '../support/test-runtime.ts';

const KEEP_ALIVE = 1;
const SILENCE = 5;
// Longer than SILENCE: the request timer runs from the connection's start, so a silent connection
// shows connection_timeout only when it comes first.
const REQUEST = 8;

/** Milliseconds from now until the server closes `socket`. */
function closedAfter(socket: Socket): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve(performance.now() - started));
  });
}

describe('idle connections are closed', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await testApp({ keep_alive_timeout: KEEP_ALIVE, connection_timeout: SILENCE, request_timeout: REQUEST });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
  });
  after(async () => t?.close());

  test('a connection that never sends a request is closed after connection_timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    const ms = await closedAfter(socket);
    assert.ok(ms >= SILENCE * 1000 - 200, `closed after ${ms} ms, before connection_timeout`);
  });

  test('an idle keep-alive connection is closed after keep_alive_timeout, long before connection_timeout', async () => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const answered = new Promise<void>((resolve) =>
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        if (answer.includes('\r\n\r\n')) resolve();
      }),
    );
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    await answered;
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /keep-alive/i);
    const ms = await closedAfter(socket);
    assert.ok(ms < SILENCE * 1000 - 1000, `closed after ${ms} ms: the keep-alive timeout of ${KEEP_ALIVE} s did not close it`);
  });

  test('a request sent too slowly is refused with 408 and closed after request_timeout, though the connection is never silent', async () => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header byte every 200 ms: never silent for connection_timeout, never a whole request.
    const trickle = setInterval(() => socket.writable && socket.write('X'), 200);
    try {
      const ms = await closedAfter(socket);
      assert.match(answer, /^HTTP\/1\.1 408 /, 'the server says why');
      assert.ok(ms >= REQUEST * 1000 - 200, `closed after ${ms} ms, before request_timeout`);
      // Node looks for late requests every connectionsCheckingInterval (30 s unless set): within a few seconds here.
      assert.ok(ms < (REQUEST + 5) * 1000, `closed after ${ms} ms: request_timeout (${REQUEST} s) did not act in time`);
    } finally {
      clearInterval(trickle);
    }
  });
});
