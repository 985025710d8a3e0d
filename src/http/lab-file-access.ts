/**
 * Access to a hidden lab's files (the images in its instructions). An <img> cannot send the learner's
 * bearer session, so the instructions the learner API renders for a hidden lab carry a short signed
 * token in each image URL instead: it names one lab and lets its holder read that lab's images, nothing
 * else, for as long as a session lasts. It is signed with the session key under its own audience, so it
 * is never accepted as a session, nor a session as it. Labs that are not hidden serve their images openly.
 */
import { SignJWT, jwtVerify } from 'jose';
import type { Keys } from '../infra/keys.ts';

const AUDIENCE = 'stacklab:lab-files';

export async function signLabFileAccess(keys: Keys, labId: string, ttlSeconds: number): Promise<string> {
  return new SignJWT({ lab: labId })
    .setProtectedHeader({ alg: 'HS256' })
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keys.key('session'));
}

/** Why the token does not open this lab's files, or null when it does. */
export async function labFileAccessRefusal(keys: Keys, token: string | undefined, labId: string): Promise<string | null> {
  if (!token) return 'no access token in the URL';
  try {
    const { payload } = await jwtVerify(token, keys.key('session'), { algorithms: ['HS256'], audience: AUDIENCE });
    return payload.lab === labId ? null : `the access token is for lab '${String(payload.lab)}'`;
  } catch (error) {
    return `the access token is refused: ${(error as Error).message}`;
  }
}
