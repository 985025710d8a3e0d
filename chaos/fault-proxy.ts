/**
 * A fault-injecting HTTP proxy for the provider-faults campaign (and its tests): it stands in front of
 * the real Keystone and Heat and, at set rates, answers with a 5xx, never answers, answers slowly, or
 * drops the connection half-way through the answer. node:http only, no dependency.
 *
 * Each upstream (an origin such as http://127.0.0.1:5000) gets a path prefix on the proxy,
 * /u<n>/...; `url()` gives the proxied form of an upstream URL. Keystone's token answer carries the
 * catalog, which names Heat (and Nova...) directly: the proxy rewrites every endpoint of the catalog to
 * its proxied form, and so every later call goes through it too. Heat's redirects (a by-name GET
 * answers 302 with a Location on Heat) are rewritten the same way.
 *
 * A fault happens either before the request reaches the upstream (the cloud never saw it) or after
 * (the cloud acted, its answer is lost): the two cases a client must tell apart and cannot, which is the
 * point. Every fault is counted.
 */
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Chance per request of each fault, each in [0, 1]; their sum must not exceed 1. */
export interface FaultRates {
  /** A 500/502/503/504 answer (half the time after the upstream acted on the request). */
  error: number;
  /** No answer at all: the connection is held open until the client gives up (half the time after the upstream acted). */
  timeout: number;
  /** The upstream's answer, late by `slowMs`. */
  slow: number;
  /** The upstream acted; its answer's status and half its body are sent, then the socket is destroyed. */
  drop: number;
}

export const NO_FAULTS: FaultRates = { error: 0, timeout: 0, slow: 0, drop: 0 };

export const FAULT_KINDS = ['error-before', 'error-after', 'timeout-before', 'timeout-after', 'slow', 'drop', 'outage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultProxyOptions {
  rates?: FaultRates;
  /** How late a slow answer is, in ms: [least, most] (default 1000-3000). */
  slowMs?: [number, number];
  /** The source of chance (tests pass a scripted one); default Math.random. */
  random?: () => number;
  /** Which requests may meet a fault (default: all). */
  eligible?: (method: string, path: string) => boolean;
}

/** `error=0.1,timeout=0.05,...` (missing kinds are 0), as the campaign's flags spell rates. */
export function parseRates(text: string): FaultRates {
  const rates = { ...NO_FAULTS };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=');
    const rate = Number(value);
    if (!key || !(key in rates) || !(rate >= 0 && rate <= 1)) throw new Error(`bad fault rate '${part}': expected one of ${Object.keys(NO_FAULTS).join(', ')} = a number from 0 to 1`);
    rates[key as keyof FaultRates] = rate;
  }
  checkRates(rates);
  return rates;
}

function checkRates(rates: FaultRates): void {
  const sum = rates.error + rates.timeout + rates.slow + rates.drop;
  if (sum > 1 + 1e-9) throw new Error(`fault rates add up to ${sum}, more than 1`);
}

export function formatRates(rates: FaultRates): string {
  return Object.entries(rates).map(([k, v]) => `${k}=${v}`).join(',');
}

const ERROR_STATUSES = [500, 502, 503, 504];
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length', 'host']);

interface Upstream {
  origin: string;
  prefix: string;
}

interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export class FaultProxy {
  /** Faults injected, by kind. */
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  /** Requests received, and those passed through untouched. */
  requests = 0;
  passed = 0;
  /** While true every request is refused with a 503 before it reaches the upstream (a cloud that is down). */
  outage = false;
  private rates: FaultRates;
  private readonly upstreams: Upstream[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private base = '';

  constructor(private readonly options: FaultProxyOptions = {}) {
    this.rates = options.rates ?? NO_FAULTS;
    checkRates(this.rates);
  }

  setRates(rates: FaultRates): void {
    checkRates(rates);
    this.rates = rates;
  }

  get injected(): number {
    return FAULT_KINDS.reduce((n, k) => n + this.counts[k], 0);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Stops at once: held (timed-out) connections are destroyed, not waited for. */
  async stop(): Promise<void> {
    if (!this.server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** The proxied form of an upstream URL (any path), registering its origin on first sight. */
  url(upstreamUrl: string): string {
    const parsed = new URL(upstreamUrl);
    let upstream = this.upstreams.find((u) => u.origin === parsed.origin);
    if (!upstream) {
      upstream = { origin: parsed.origin, prefix: `/u${this.upstreams.length}` };
      this.upstreams.push(upstream);
    }
    return `${this.base}${upstream.prefix}${parsed.pathname}${parsed.search}`;
  }

  private pickFault(): FaultKind | null {
    const r = this.options.random ?? Math.random;
    const { error, timeout, slow, drop } = this.rates;
    const roll = r();
    const half = () => (r() < 0.5 ? 'before' : 'after');
    if (roll < error) return `error-${half()}`;
    if (roll < error + timeout) return `timeout-${half()}`;
    if (roll < error + timeout + slow) return 'slow';
    if (roll < error + timeout + slow + drop) return 'drop';
    return null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const body = await readAll(req).catch(() => null);
    if (body === null) return void res.destroy();
    const path = req.url ?? '/';
    const upstream = this.upstreams.find((u) => path === u.prefix || path.startsWith(`${u.prefix}/`));
    if (!upstream) return void sendJson(res, 404, { error: { code: 404, message: `fault proxy: no upstream for ${path}` } });
    if (this.outage) {
      this.counts.outage++;
      return void sendJson(res, 503, { error: { code: 503, title: 'Service Unavailable', message: 'fault proxy: the cloud is down (outage)' } });
    }
    const eligible = this.options.eligible?.(req.method ?? 'GET', path.slice(upstream.prefix.length)) ?? true;
    const fault = eligible ? this.pickFault() : null;
    if (fault) this.counts[fault]++;
    else this.passed++;
    if (fault === 'error-before') return void sendError(res, this.randomStatus());
    if (fault === 'timeout-before') return; // held open: the client's own time limit ends it, or stop()
    let answer: UpstreamAnswer;
    try {
      answer = await this.forward(req, body, upstream, path.slice(upstream.prefix.length) || '/');
    } catch (error) {
      return void sendJson(res, 502, { error: { code: 502, title: 'Bad Gateway', message: `fault proxy: upstream ${upstream.origin}: ${(error as Error).message}` } });
    }
    if (fault === 'error-after') return void sendError(res, this.randomStatus());
    if (fault === 'timeout-after') return;
    if (fault === 'slow') {
      const [least, most] = this.options.slowMs ?? [1000, 3000];
      await new Promise((r) => setTimeout(r, least + (this.options.random ?? Math.random)() * (most - least)));
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
    if (fault === 'drop') {
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
      // Let the half answer leave before the connection goes, so the client sees an answer cut short.
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.end(answer.body);
  }

  private randomStatus(): number {
    return ERROR_STATUSES[Math.floor((this.options.random ?? Math.random)() * ERROR_STATUSES.length)] ?? 503;
  }

  private forward(req: IncomingMessage, body: Buffer, upstream: Upstream, path: string): Promise<UpstreamAnswer> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    // Keystone under uwsgi answers a reused connection with a 503: one connection per request.
    headers.connection = 'close';
    if (body.length) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = httpRequest(`${upstream.origin}${path}`, { method: req.method, headers, agent: false }, (answer) => {
        readAll(answer).then((raw) => {
          const kept: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) kept[k] = v;
          if (typeof kept.location === 'string') kept.location = this.rewriteUrl(kept.location);
          resolve({ status: answer.statusCode ?? 502, headers: kept, body: this.rewriteCatalog(raw) });
        }, reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  /** An upstream URL in its proxied form, registering new origins (a catalog names Heat, Nova, ...). */
  private rewriteUrl(url: string): string {
    try {
      return this.url(url);
    } catch {
      return url;
    }
  }

  /** Keystone's token answer, with every catalog endpoint pointed at the proxy. */
  private rewriteCatalog(raw: Buffer): Buffer {
    if (!raw.includes('"catalog"')) return raw;
    let parsed: { token?: { catalog?: Array<{ endpoints?: Array<{ url?: string }> }> } };
    try {
      parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
    } catch {
      return raw;
    }
    const catalog = parsed.token?.catalog;
    if (!Array.isArray(catalog)) return raw;
    for (const service of catalog) for (const endpoint of service.endpoints ?? []) if (endpoint.url) endpoint.url = this.rewriteUrl(endpoint.url);
    return Buffer.from(JSON.stringify(parsed));
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
    stream.on('aborted', () => reject(new Error('aborted')));
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** What a load balancer in front of a cloud says when the service behind it fails. */
function sendError(res: ServerResponse, status: number): void {
  sendJson(res, status, { error: { code: status, title: 'Injected fault', message: `fault proxy: injected HTTP ${status}` } });
}
