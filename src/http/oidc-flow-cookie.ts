/**
 * The OIDC sign-in's checks (state, nonce, PKCE verifier) between the redirect to the provider and the
 * browser's return, in a cookie of the browser that started it: only that browser can finish the sign-in
 * (an answer pasted into another browser, or forced on one by another site, finds no cookie or other
 * values). Kept in the browser rather than the store, so any server process can take the answer.
 *
 * - Sealed (JWE, dir + A256GCM with a key of its own from the master secret): the browser can neither read
 *   the verifier nor change the values; it expires after FLOW_SECONDS, and is cleared when used.
 * - SameSite=Lax, unlike the session cookie (Strict): the provider sends the browser back with a top-level
 *   navigation from its own site, on which browsers send Lax cookies and not Strict ones.
 * - Path=/console/oidc, HttpOnly, and Secure with the `__Secure-` name when public_url is https.
 */
import { EncryptJWT, jwtDecrypt } from 'jose';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import type { Keys } from '../infra/keys.ts';
import type { FlowChecks } from '../services/oidc-sign-in.ts';
import { secureCookies } from './console-auth.ts';

/** Seconds a user has at the provider (sign-in, consent) before the sign-in must start again. */
export const FLOW_SECONDS = 600;

function flowCookieName(config: Pick<Config, 'public_url'>): string {
  return secureCookies(config) ? '__Secure-stacklab_console_oidc' : 'stacklab_console_oidc';
}

function attributes(config: Pick<Config, 'public_url'>, maxAgeSeconds: number): string {
  return ['Path=/console/oidc', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`, ...(secureCookies(config) ? ['Secure'] : [])].join('; ');
}

export async function flowCookie(config: Pick<Config, 'public_url'>, keys: Keys, checks: FlowChecks, now: Date): Promise<string> {
  const sealed = await new EncryptJWT({ s: checks.state, n: checks.nonce, v: checks.verifier })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(now.getTime() / 1000) + FLOW_SECONDS)
    .encrypt(keys.key('console-oidc'));
  return `${flowCookieName(config)}=${sealed}; ${attributes(config, FLOW_SECONDS)}`;
}

export function clearedFlowCookie(config: Pick<Config, 'public_url'>): string {
  return `${flowCookieName(config)}=; ${attributes(config, 0)}`;
}

/** The checks from the request's flow cookie; null when it is missing, forged, changed or expired. */
export async function flowChecks(request: FastifyRequest, config: Pick<Config, 'public_url'>, keys: Keys, now: Date): Promise<FlowChecks | null> {
  const name = flowCookieName(config);
  let sealed: string | undefined;
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) sealed = value.join('=');
  }
  if (!sealed) return null;
  try {
    const { payload } = await jwtDecrypt(sealed, keys.key('console-oidc'), { currentDate: now, keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    const { s, n, v } = payload;
    if (typeof s !== 'string' || typeof n !== 'string' || typeof v !== 'string') return null;
    return { state: s, nonce: n, verifier: v };
  } catch {
    return null;
  }
}
