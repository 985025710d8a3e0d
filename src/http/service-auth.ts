/**
 * Bearer tokens for machines, each with one scope:
 *   service  STACKLAB_API_TOKEN: the stack and lab API (launch, suspend, reset, delete, checks) for any
 *            learner; what an LMS back-end or a tool needs.
 *   admin    STACKLAB_ADMIN_TOKEN: LTI platform registrations, the tool's keys, the grade outbox.
 *            Unset: the service token has this scope too (one token, as before).
 *   metrics  STACKLAB_METRICS_TOKEN: GET /metrics only. Unset: the service token has this scope too.
 * A token of another scope is refused with 403, saying which token the route takes.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { AppError } from '../errors/api-errors.ts';

export type TokenScope = 'service' | 'admin' | 'metrics';

const SETTING: Record<TokenScope, 'api_token' | 'admin_token' | 'metrics_token'> = { service: 'api_token', admin: 'admin_token', metrics: 'metrics_token' };
const ENV: Record<TokenScope, string> = { service: 'STACKLAB_API_TOKEN', admin: 'STACKLAB_ADMIN_TOKEN', metrics: 'STACKLAB_METRICS_TOKEN' };

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return null;
  return header.slice('Bearer '.length).trim() || null;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Tokens = Pick<Config, 'api_token' | 'admin_token' | 'metrics_token'>;

/** The token that grants `scope`: its own when configured, else the service token. */
export function tokenFor(config: Tokens, scope: TokenScope): string | undefined {
  return config[SETTING[scope]] ?? config.api_token;
}

/** The scopes a presented token has. */
export function scopesOf(config: Tokens, given: string): TokenScope[] {
  return (Object.keys(SETTING) as TokenScope[]).filter((scope) => {
    const token = tokenFor(config, scope);
    return token !== undefined && sameSecret(given, token);
  });
}

/** An onRequest hook (before the body is read or validated) that admits only a token with `scope`. */
export function requireToken(config: Tokens, scope: TokenScope) {
  const which = config[SETTING[scope]] ? ENV[scope] : ENV.service;
  return async (request: FastifyRequest): Promise<void> => {
    const given = bearerToken(request);
    if (!given) throw new AppError('UNAUTHORIZED', `send Authorization: Bearer <${which}>`);
    const scopes = scopesOf(config, given);
    if (scopes.includes(scope)) return;
    if (scopes.length) throw new AppError('FORBIDDEN', `this token has the scope ${scopes.join(', ')}; this route takes ${which}`, { message: `This token may not use this route: it takes ${which}.` });
    throw new AppError('UNAUTHORIZED', `send Authorization: Bearer <${which}>`);
  };
}
