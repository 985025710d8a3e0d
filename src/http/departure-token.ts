/**
 * Departure tokens: the lab page's permission to say "I went away" for one stack. A beacon
 * (`navigator.sendBeacon`, the only request a closing page can still make) carries no Authorization
 * header, so the page sends this token as the body instead of its session. It is signed with its own key
 * (keys.key('departure')), bound to the learner and the stack, and allows nothing else: a leaked one can
 * at worst start a grace that the learner's next keepalive cancels.
 */
import { SignJWT, jwtVerify } from 'jose';
import type { Keys } from '../infra/keys.ts';

const AUDIENCE = 'stacklab:departure';

/** Long enough that an idle page still holds a valid one; the page fetches a new one before it runs out. */
export const DEPARTURE_TOKEN_TTL = 3600;

export interface DepartureGrant {
  learner: string;
  stackId: string;
}

export function signDepartureToken(keys: Keys, grant: DepartureGrant, ttlSeconds = DEPARTURE_TOKEN_TTL): Promise<string> {
  return new SignJWT({ stk: grant.stackId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(grant.learner)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keys.key('departure'));
}

/** Throws with a readable reason when the token is forged, expired or malformed. */
export async function verifyDepartureToken(keys: Keys, token: string): Promise<DepartureGrant> {
  const { payload } = await jwtVerify(token, keys.key('departure'), { algorithms: ['HS256'], audience: AUDIENCE, requiredClaims: ['exp', 'sub'] });
  if (typeof payload.sub !== 'string' || typeof payload.stk !== 'string') throw new Error('departure token claims are incomplete');
  return { learner: payload.sub, stackId: payload.stk };
}
