/**
 * The staff console's session cookie (docs/console.md). The cookie holds only a random token; the store
 * keeps its hash with the operator's name (services/operator-accounts.ts).
 *
 * - HttpOnly (no script reads it), Path=/console, SameSite=Strict: a page of another site cannot make the
 *   browser send it, so the console needs no CSRF token; the hook also refuses an unsafe method whose
 *   Origin is another site's, for browsers that lack SameSite.
 * - Secure when public_url is https, and then named with the `__Secure-` prefix, which browsers refuse to
 *   set without Secure. In an LMS frame of another site the browser does not send it (SameSite, and
 *   third-party cookies are blocked anyway): the console works framed by a page of the same site.
 * - Bearer tokens (the service token, a learner's session) are never looked at on /console: only an
 *   operator's cookie opens it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.ts';
import type { Config } from '../config/schema.ts';
import { AppError } from '../errors/api-errors.ts';
import { sentence } from '../errors/sentence.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator signed in to the console, set by requireOperator. */
    operator?: string;
  }
}

export function secureCookies(config: Pick<Config, 'public_url'>): boolean {
  return config.public_url?.startsWith('https:') ?? false;
}

export function cookieName(config: Pick<Config, 'public_url'>): string {
  return secureCookies(config) ? '__Secure-stacklab_console' : 'stacklab_console';
}

function attributes(config: Pick<Config, 'public_url'>, maxAgeSeconds: number): string {
  return ['Path=/console', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`, ...(secureCookies(config) ? ['Secure'] : [])].join('; ');
}

export function sessionCookie(config: Pick<Config, 'public_url'>, token: string, maxAgeSeconds: number): string {
  return `${cookieName(config)}=${token}; ${attributes(config, maxAgeSeconds)}`;
}

export function clearedCookie(config: Pick<Config, 'public_url'>): string {
  return `${cookieName(config)}=; ${attributes(config, 0)}`;
}

/** The console token from the Cookie header, or undefined. */
export function consoleToken(request: FastifyRequest, config: Pick<Config, 'public_url'>): string | undefined {
  const name = cookieName(config);
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=') || undefined;
  }
  return undefined;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses a state-changing request sent from another site's page (when the browser says where from). */
export function refuseCrossSite(request: FastifyRequest): void {
  if (SAFE.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // request.host honours X-Forwarded-Host when trust_proxy is set, so a console behind a proxy still matches;
  // both go through URL so that a default port (":80", ":443") written or left out compares equal.
  const hostOf = (url: string) => {
    try {
      return new URL(url).host;
    } catch {
      return undefined;
    }
  };
  const host = hostOf(origin);
  if (host === undefined || host !== hostOf(`${request.protocol}://${request.host}`)) throw new AppError('FORBIDDEN', `console request from origin ${origin.slice(0, 200)} refused`, { message: sentence('error.FORBIDDEN.consoleOrigin') });
}

/** An onRequest hook: sets request.operator from the cookie, or answers 401. */
export function requireOperator(ctx: Pick<AppContext, 'config' | 'operators'>) {
  return async function operatorHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    refuseCrossSite(request);
    const token = consoleToken(request, ctx.config);
    const operator = token ? await ctx.operators.operatorFor(token) : null;
    if (!operator) {
      throw new AppError('UNAUTHORIZED', token ? 'console session unknown, expired or ended' : 'no console session cookie', {
        message: sentence('error.UNAUTHORIZED.consoleSession'),
      });
    }
    request.operator = operator;
  };
}

/** How an operator appears in a stack's history. */
export function operatorActor(operator: string): string {
  return `operator:${operator}`;
}
