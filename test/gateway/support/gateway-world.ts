/**
 * A running stacklab (real HTTP server, real store, real worker) whose stacks are the local sshd, with
 * learner sessions: the world the gateway tests act in. `close()` stops everything it started.
 */
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { buildApp } from '../../../src/http/app.ts';
import { issueSession } from '../../../src/http/session.ts';
import type { Lab } from '../../../src/domain/lab.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../../support/test-runtime.ts';
import { AddressProvider } from './address-provider.ts';
import { startSshd, type LocalSshd } from './local-sshd.ts';

export interface GatewayWorld {
  sshd: LocalSshd;
  runtime: TestRuntime;
  app: FastifyInstance;
  base: string;
  session(learner: string, context?: string): Promise<string>;
  /** Launches the learner's stack for `lab` and runs the worker until it is READY. */
  launch(session: string, lab: string): Promise<string>;
  api<T>(session: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** `password`: also a password output (RDP labs log in with it; the key stays the SSH login). */
export async function gatewayWorld(labs: (sshd: LocalSshd) => Lab[], overrides: Record<string, unknown> = {}, outputs: { password?: string } = {}): Promise<GatewayWorld> {
  const sshd = await startSshd();
  const provider = new AddressProvider('local-sshd', { public_ip: sshd.host, private_key: sshd.privateKey, ...outputs });
  const runtime = await testRuntime({ providers: [provider], labs: labs(sshd), overrides });
  const app = await buildApp(runtime.ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const world: GatewayWorld = {
    sshd,
    runtime,
    app,
    base,
    session: (learner, context = 'course-1') => issueSession(runtime.ctx.keys, { learner, context, roles: ['Learner'] }, 600),
    async launch(session, lab) {
      const launched = await world.api<{ id: string }>(session, 'POST', `/api/v1/me/labs/${lab}/launch`);
      if (launched.status !== 200) throw new Error(`launch answered ${launched.status}: ${JSON.stringify(launched.body)}`);
      await settle(runtime);
      return launched.body.id;
    },
    async api<T>(session: string, method: 'GET' | 'POST', path: string, body?: unknown) {
      const response = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${session}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      });
      return { status: response.status, body: (await response.json()) as T };
    },
    async close() {
      await app.close();
      await runtime.close();
      await sshd.stop();
    },
  };
  return world;
}

export function sshLab(sshd: LocalSshd, overrides: Partial<Lab> = {}): Lab {
  return testLab({
    id: 'shell',
    user: sshd.user,
    port: sshd.port,
    providers: [{ name: 'local-sshd', capacity: -1, template: 'heat_template_version: 2016-10-14\nresources: {}\n', templateFile: 'template.yaml' }],
    ...overrides,
  });
}

/** Opens a gateway socket; resolves once open, or rejects with the HTTP status of a refused upgrade. */
export function openSocket(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => {
      reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** Collects a terminal's output and waits for text to appear in it. */
export class Screen {
  text = '';
  bytes = 0;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const chunk = data as Buffer;
      this.bytes += chunk.length;
      this.text += chunk.toString('utf8');
      if (this.text.length > 200_000) this.text = this.text.slice(-100_000);
    });
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'));
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.text.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen ends with: ${JSON.stringify(this.text.slice(-400))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
