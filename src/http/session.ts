/**
 * Learner sessions for the browser. A session is a short JWT (HS256, keys.key('session')) that the page
 * keeps in memory / sessionStorage and sends as `Authorization: Bearer <session>`: no cookies, so it
 * works inside an LMS iframe where third-party cookies are blocked. The LTI launch and the demo sign-in
 * issue one and open `/lab/<labId>#session=<token>`; the fragment never reaches a server log.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import type { Keys } from '../infra/keys.ts';
import { AppError } from '../errors/api-errors.ts';
import { INSTRUCTOR_ROLES } from '../domain/roles.ts';
import { sentence } from '../errors/sentence.ts';

export interface Session {
  /** Stable learner id (LTI: derived from issuer + sub; demo: `demo:<name>`). */
  learner: string;
  /** Course run / LTI context id the learner works in. */
  context: string;
  roles: string[];
  displayName?: string;
  /** When set, the session may only open this lab (an LTI resource link points at one lab). */
  lab?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
  }
}

const AUDIENCE = 'stacklab:session';
const ISSUER = 'stacklab';

export async function issueSession(keys: Keys, session: Session, ttlSeconds: number): Promise<string> {
  return new SignJWT({
    ctx: session.context,
    roles: session.roles,
    ...(session.displayName ? { name: session.displayName } : {}),
    ...(session.lab ? { lab: session.lab } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(session.learner)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keys.key('session'));
}

/** Throws AppError UNAUTHORIZED for a missing, forged, expired or malformed session. */
export async function verifySession(keys: Keys, token: string): Promise<Session> {
  try {
    const { payload } = await jwtVerify(token, keys.key('session'), { algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER });
    if (typeof payload.sub !== 'string' || typeof payload.ctx !== 'string' || !Array.isArray(payload.roles)) {
      throw new Error('session claims are incomplete');
    }
    return {
      learner: payload.sub,
      context: payload.ctx,
      roles: payload.roles.filter((r): r is string => typeof r === 'string'),
      ...(typeof payload.name === 'string' ? { displayName: payload.name } : {}),
      ...(typeof payload.lab === 'string' ? { lab: payload.lab } : {}),
    };
  } catch (error) {
    throw new AppError('UNAUTHORIZED', `session token refused: ${(error as Error).message}`, {
      cause: error,
      message: sentence('error.UNAUTHORIZED.sessionInvalid'),
    });
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : undefined;
}

/** Fastify onRequest hook (before the body is read): sets `request.session` or answers 401. */
export function requireSession(ctx: { keys: Keys }) {
  return async function sessionHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const token = bearerToken(request);
    if (!token) throw new AppError('UNAUTHORIZED', 'no bearer session token', { message: sentence('error.UNAUTHORIZED.sessionMissing') });
    request.session = await verifySession(ctx.keys, token);
  };
}

export function isInstructor(session: Session): boolean {
  return session.roles.some((role) => INSTRUCTOR_ROLES.some((r) => role === r || role.endsWith(`#${r}`) || role.endsWith(`/${r}`)));
}
