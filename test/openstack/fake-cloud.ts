/**
 * A small Keystone + Heat stand-in on node:http for the client's unit tests: it issues tokens with
 * a catalog, checks them, records every call, counts requests in flight, and lets each test script
 * the answers that real clouds give only when something goes wrong (5xx, 401, 409, hangs).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Handler = (call: FakeCall, res: ServerResponse, match: RegExpExecArray) => void | Promise<void>;

export const PROJECT = 'p0123456789';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}

export class FakeCloud {
  readonly calls: FakeCall[] = [];
  readonly validTokens = new Set<string>();
  tokenTtlMs = 3600_000;
  /** Catalog entries beyond orchestration (e.g. compute); set before the first token. */
  extraCatalog: unknown[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private issued = 0;
  private readonly routes: Array<{ method: string; re: RegExp; handler: Handler }> = [];
  private server!: Server;
  base = '';

  get authUrl(): string {
    return `${this.base}/v3`;
  }
  get heatUrl(): string {
    return `${this.base}/heat/v1/${PROJECT}`;
  }

  /** Answers for `method` on paths matching `re` (tried newest first, so tests can override). */
  on(method: string, re: RegExp, handler: Handler): this {
    this.routes.unshift({ method, re, handler });
    return this;
  }

  heatCalls(method?: string): FakeCall[] {
    return this.calls.filter((c) => c.path.startsWith('/heat/') && (!method || c.method === method));
  }

  async start(): Promise<this> {
    this.on('POST', /^\/v3\/auth\/tokens$/, (_call, res) => {
      const value = `tok-${++this.issued}`;
      this.validTokens.add(value);
      const now = Date.now();
      sendJson(
        res,
        201,
        {
          token: {
            issued_at: new Date(now).toISOString(),
            expires_at: new Date(now + this.tokenTtlMs).toISOString(),
            user: { id: 'u-demo' },
            project: { id: PROJECT },
            catalog: [
              {
                type: 'orchestration',
                endpoints: [
                  { interface: 'public', region_id: 'RegionOne', url: this.heatUrl },
                  { interface: 'internal', region_id: 'RegionOne', url: `${this.base}/heat-internal/v1/${PROJECT}` },
                  { interface: 'public', region_id: 'RegionTwo', url: `${this.base}/heat-two/v1/${PROJECT}` },
                ],
              },
              ...this.extraCatalog,
            ],
          },
        },
        { 'X-Subject-Token': value },
      );
    });
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const call: FakeCall = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: text ? JSON.parse(text) : undefined };
    this.calls.push(call);
    const pathOnly = call.path.split('?')[0];
    if (!pathOnly.startsWith('/v3/auth/') && !this.validTokens.has(String(req.headers['x-auth-token']))) {
      sendJson(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      return;
    }
    for (const r of this.routes) {
      const m = r.method === call.method ? r.re.exec(pathOnly) : null;
      if (m) {
        await r.handler(call, res, m);
        return;
      }
    }
    sendJson(res, 404, { code: 404, title: 'Not Found', error: { type: 'NotFound', message: `no fake route for ${call.method} ${pathOnly}` } });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A stack body as Heat's show returns it. */
export function heatStack(name: string, id: string, status: string, outputs: Record<string, unknown> = {}, reason = ''): unknown {
  return {
    stack: {
      id,
      stack_name: name,
      stack_status: status,
      stack_status_reason: reason,
      creation_time: '2026-01-01T00:00:00Z',
      outputs: Object.entries(outputs).map(([k, v]) => ({ output_key: k, output_value: v })),
    },
  };
}
