/**
 * JSON over HTTP for one cloud, with the robustness rules every OpenStack call shares: a time limit
 * on each request, retries with exponential backoff and jitter on 5xx answers and connection errors
 * only (a 4xx is an answer), and a concurrency limit. A request that got no answer in time may have
 * been acted on, so it is retried only when doing it twice is harmless (`idempotent`: reads and
 * deletes by default); the caller of anything else finds out what happened (heat-client.ts looks a
 * create up by name). Non-2xx answers are returned, not thrown: the caller knows what a 404 or 409 means.
 */
import type { Logger } from 'pino';
import { ProviderError } from '../provider.ts';
import { ConcurrencyLimiter } from './limiter.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  /** Short context for errors and logs, e.g. "heat: create stack". */
  what: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** Called before a 5xx is retried; may throw a better error to stop retrying. */
  beforeRetry?: (res: HttpResponse) => Promise<void>;
  /**
   * Whether sending the request twice does no harm, so that one without an answer in time is sent
   * again. Default: true for GET and DELETE, false otherwise (Keystone's token request says true).
   */
  idempotent?: boolean;
  /**
   * False: a 5xx or a connection that failed after the request left is returned or thrown at once
   * instead of being sent again, for a caller that must first find out whether it was acted on (a
   * Heat create: Heat makes two stacks of one name when two creates overlap). Default true.
   */
  resendUncertain?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, otherwise null. */
  body: unknown;
  text: string;
  /** How many times the request was sent to get this answer (more than one: an earlier one may have been acted on). */
  attempts?: number;
}

export interface HttpClientOptions {
  timeoutMs: number;
  concurrency: number;
  /** A limiter shared with other clients of the same cloud; else the client gets its own of `concurrency`. */
  limiter?: ConcurrencyLimiter;
  /** Retries after the first attempt (default 5). */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  logger?: Logger;
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
  // An answer cut short on a `Connection: close` request (every Keystone call) shows as a body shorter
  // than its Content-Length rather than as a socket error.
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return code;
  }
  return undefined;
}

/** The error of a request that got no answer within the time limit. */
export function isTimeout(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

export const UNAVAILABLE_MESSAGE = 'The cloud that runs this lab is not answering right now; please try again in a few minutes.';

export class HttpClient {
  readonly limiter: ConcurrencyLimiter;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly opts: HttpClientOptions) {
    this.limiter = opts.limiter ?? new ConcurrencyLimiter(opts.concurrency);
    this.retries = opts.retries ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 8000;
  }

  /** Equal jitter: half the exponential step for sure, the other half at random, so retries spread. */
  backoffMs(attempt: number): number {
    const step = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt);
    return step / 2 + Math.random() * (step / 2);
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? (req.method === 'GET' || req.method === 'DELETE');
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      let outcome: HttpResponse | { error: string };
      try {
        outcome = await this.limiter.run(() => this.once(req));
      } catch (err) {
        const code = errorCode(err);
        if (isTimeout(err) && (!idempotent || last)) {
          throw new ProviderError('UNAVAILABLE', UNAVAILABLE_MESSAGE, `${req.what}: ${req.method} ${req.url}: no answer within ${this.opts.timeoutMs} ms${attempt ? ` (${attempt + 1} attempts)` : ''}`, { cause: err });
        }
        if (isTimeout(err)) {
          outcome = { error: `no answer within ${this.opts.timeoutMs} ms` };
        } else {
          if (!code) {
            throw new ProviderError('UNAVAILABLE', UNAVAILABLE_MESSAGE, `${req.what}: ${req.method} ${req.url}: ${(err as Error).message}`, { cause: err });
          }
          // A refused connection never reached the server; anything else may have been acted on.
          if (last || (req.resendUncertain === false && code !== 'ECONNREFUSED')) {
            throw new ProviderError('UNAVAILABLE', UNAVAILABLE_MESSAGE, `${req.what}: ${req.method} ${req.url}: ${code} after ${attempt + 1} attempts`, { cause: err });
          }
          outcome = { error: code };
        }
      }
      if (!('error' in outcome)) {
        if (outcome.status < 500 || last || req.resendUncertain === false) return { ...outcome, attempts: attempt + 1 };
        if (req.beforeRetry) await req.beforeRetry(outcome);
      }
      const delay = this.backoffMs(attempt);
      const why = 'error' in outcome ? outcome.error : `HTTP ${outcome.status}`;
      this.opts.logger?.warn({ what: req.what, method: req.method, url: req.url, why, attempt: attempt + 1, delayMs: Math.round(delay) }, `${req.what}: ${why}, retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', ...req.headers };
    if (req.json !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(req.url, {
      method: req.method,
      headers,
      body: req.json === undefined ? undefined : JSON.stringify(req.json),
      // Redirects are followed by the callers, who know which ones are legitimate (Heat's by-name GET).
      redirect: 'manual',
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const text = await res.text();
    let body: unknown = null;
    // Heat's error pages and redirects are JSON whatever their content type says.
    if (/^\s*[[{]/.test(text)) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    return { status: res.status, headers: res.headers, body, text };
  }
}
