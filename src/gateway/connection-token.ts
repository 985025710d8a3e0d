/**
 * Connection tokens: every terminal / desktop WebSocket carries one. Signed with its own key
 * (keys.key('connection-token')), short-lived (config token_ttl), and bound to the learner, the stack,
 * the server and read-only mode, so a token leaked from one page opens nothing else.
 * The browser sends it as a WebSocket sub-protocol (`stacklab.token.<jwt>`), not in the URL, so it
 * never lands in an access log. Each token has an id (jti) and an expiry and opens one connection:
 * the gateway records the ids it accepted until they expire (services/used-tokens.ts).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Keys } from '../infra/keys.ts';

/**
 * `shadow` and `desktop-shadow`: course staff watching a learner's terminal or VNC desktop (the grant's
 * learner is then the watcher, and its course the one the class API checked: the gateway checks it again).
 */
export type ConnectionKind = 'terminal' | 'vnc' | 'rdp' | 'shadow' | 'desktop-shadow';

const KINDS: readonly string[] = ['terminal', 'vnc', 'rdp', 'shadow', 'desktop-shadow'] satisfies ConnectionKind[];

/** The kinds that name a watcher from the course staff rather than the stack's learner. */
export function isShadowKind(kind: ConnectionKind): boolean {
  return kind === 'shadow' || kind === 'desktop-shadow';
}

export interface ConnectionGrant {
  learner: string;
  stackId: string;
  /** Name of the server (a lab port entry), or 'default' for the jump host. */
  server: string;
  kind: ConnectionKind;
  readOnly: boolean;
  /** The course (LTI context) whose staff the watcher is: shadow kinds only. */
  context?: string;
}

export interface VerifiedGrant extends ConnectionGrant {
  /** The token's own id, recorded when it is used. */
  tokenId: string;
  expiresAt: Date;
}

const AUDIENCE = 'stacklab:gateway';
export const PROTOCOL = 'stacklab.v1';
export const TOKEN_PROTOCOL_PREFIX = 'stacklab.token.';

export async function signConnectionToken(keys: Keys, grant: ConnectionGrant, ttlSeconds: number): Promise<string> {
  return new SignJWT({ stk: grant.stackId, srv: grant.server, knd: grant.kind, ro: grant.readOnly, ...(grant.context === undefined ? {} : { ctx: grant.context }) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(grant.learner)
    .setJti(randomUUID())
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keys.key('connection-token'));
}

/** Throws with a readable reason when the token is forged, expired, malformed or lacks its id or expiry. */
export async function verifyConnectionToken(keys: Keys, token: string): Promise<VerifiedGrant> {
  const { payload } = await jwtVerify(token, keys.key('connection-token'), { algorithms: ['HS256'], audience: AUDIENCE, requiredClaims: ['exp', 'jti', 'sub'] });
  const { sub, stk, srv, knd, ro, jti, exp, ctx } = payload;
  if (typeof sub !== 'string' || typeof stk !== 'string' || typeof srv !== 'string' || typeof ro !== 'boolean' || typeof jti !== 'string' || typeof exp !== 'number') {
    throw new Error('connection token claims are incomplete');
  }
  if (typeof knd !== 'string' || !KINDS.includes(knd)) throw new Error('connection token has an unknown kind');
  if (ctx !== undefined && typeof ctx !== 'string') throw new Error('connection token has a malformed course');
  const kind = knd as ConnectionKind;
  return { learner: sub, stackId: stk, server: srv, kind, readOnly: ro, tokenId: jti, expiresAt: new Date(exp * 1000), ...(ctx === undefined ? {} : { context: ctx }) };
}

/** Finds the token among the offered sub-protocols (`Sec-WebSocket-Protocol: stacklab.v1, stacklab.token.<jwt>`). */
export function tokenFromProtocols(header: string | string[] | undefined): string | undefined {
  const values = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((v) => v.trim());
  const offered = values.find((v) => v.startsWith(TOKEN_PROTOCOL_PREFIX));
  return offered ? offered.slice(TOKEN_PROTOCOL_PREFIX.length) : undefined;
}
