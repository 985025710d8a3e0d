/**
 * A lab connection that keeps failing is logged once at warn with its cause, then at debug for each
 * retry, and at warn again after it connected or when the cause changes. The stack is real (store,
 * worker, gateway over a real socket); its address is a port nothing listens on, so every connection
 * is refused.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type WebSocket from 'ws';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { ConnectionFailureLog } from '../../src/gateway/connection-failure-log.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { AddressProvider } from './support/address-provider.ts';
import { openSocket } from './support/gateway-world.ts';

interface Line {
  level: number;
  msg: string;
  err?: string;
}
const WARN = 40;
const DEBUG = 20;

function capturingLogger(lines: Line[]) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return pino({ level: 'debug' }, stream);
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const closedOnce = (ws: WebSocket) => new Promise<void>((resolve) => ws.once('close', () => resolve()));

describe('gateway logging of a connection that keeps failing', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let base: string;
  let session: string;
  let stackId: string;
  const lines: Line[] = [];

  before(async () => {
    const port = await closedPort();
    const provider = new AddressProvider('nowhere', { public_ip: '127.0.0.1', private_key: generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey });
    const lab = testLab({ id: 'refused', port, providers: [{ name: 'nowhere', capacity: -1, template: 'heat_template_version: 2016-10-14\nresources: {}\n', templateFile: 'template.yaml' }] });
    rt = await testRuntime({ providers: [provider], labs: [lab] });
    app = await buildApp({ ...rt.ctx, logger: capturingLogger(lines) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    session = await issueSession(rt.ctx.keys, { learner: 'alice', context: 'course-1', roles: ['Learner'] }, 600);
    const launched = await fetch(`${base}/api/v1/me/labs/refused/launch`, { method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: '{}' });
    stackId = ((await launched.json()) as { id: string }).id;
    await settle(rt);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  async function attempt(): Promise<void> {
    const grant = await fetch(`${base}/api/v1/me/stacks/${stackId}/connections`, { method: 'POST', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(grant.status, 200);
    const { path, protocols } = (await grant.json()) as { path: string; protocols: string[] };
    const ws = await openSocket(base.replace('http', 'ws') + path, protocols);
    await closedOnce(ws);
  }

  test('four refused attempts: one warn line with the cause, the rest at debug', async () => {
    for (let i = 0; i < 4; i++) await attempt();
    const failures = lines.filter((l) => l.msg.startsWith('terminal connection failed'));
    assert.equal(failures.length, 4, JSON.stringify(lines));
    assert.equal(failures.filter((l) => l.level === WARN).length, 1);
    assert.match(failures[0]!.err ?? '', /ECONNREFUSED|refused/i);
    assert.deepEqual(failures.slice(1).map((l) => l.level), [DEBUG, DEBUG, DEBUG]);
    assert.equal(lines.filter((l) => l.level === 30 && /connection failed/.test(l.msg)).length, 0, 'no info line per retry');
  });
});

describe('ConnectionFailureLog', () => {
  test('warns again after a success or when the cause changes, and stays bounded', () => {
    const lines: Line[] = [];
    const logger = capturingLogger(lines);
    const log = new ConnectionFailureLog(2);
    const report = log.report('s1/main/terminal', logger);
    report.failed('terminal connection failed', new Error('connect ECONNREFUSED'));
    report.failed('terminal connection failed', new Error('connect ECONNREFUSED'));
    report.failed('terminal connection failed', new Error('timed out'));
    report.connected();
    report.failed('terminal connection failed', new Error('timed out'));
    // The Writable takes pino's lines on the next turn.
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        assert.deepEqual(lines.map((l) => [l.level, l.err]), [
          [WARN, 'connect ECONNREFUSED'],
          [DEBUG, 'connect ECONNREFUSED'],
          [WARN, 'timed out'],
          [WARN, 'timed out'],
        ]);
        log.report('s2/main/terminal', logger).failed('x', new Error('a'));
        log.report('s3/main/terminal', logger).failed('x', new Error('a'));
        assert.equal(log.size, 2);
        resolve();
      }),
    );
  });
});
