/**
 * Operator passwords, hashed with scrypt (node:crypto), stored as `scrypt$N$r$p$salt$hash` (base64url) so
 * the parameters can be raised later without locking out existing accounts: a hash is checked with the
 * parameters it was made with.
 *
 * Parameters: N = 2^15, r = 8, p = 1, a 16-byte random salt, a 64-byte key. That is OWASP's recommended
 * minimum for scrypt (N=2^17 is their first row; 2^15 with r=8 is the RFC 7914 interactive figure) and costs
 * 32 MiB and about 50-100 ms on one core of a small server, so a stolen table costs an attacker dearly while
 * a sign-in stays quick. The work runs on libuv's thread pool (async scrypt), not the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
/** scrypt needs 128 * N * r bytes; Node's default ceiling (32 MiB) is exactly that, so leave room. */
const maxmemFor = (n: number, r: number) => 256 * n * r;

export const PASSWORD_RULE = 'a password of 12 to 1024 characters';

export function passwordProblem(password: string): string | null {
  if (password.length < 12) return `the password is too short: use ${PASSWORD_RULE}`;
  if (password.length > 1024) return `the password is too long: use ${PASSWORD_RULE}`;
  return null;
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, length, { N: n, r, p, maxmem: maxmemFor(n, r) }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEY_LENGTH);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** False for a wrong password and for a hash this code cannot read (never throws on stored data). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const [nn, rr, pp] = [Number(n), Number(r), Number(p)];
  if (![nn, rr, pp].every((v) => Number.isInteger(v) && v > 0) || expected.length === 0) return false;
  const key = await derive(password, Buffer.from(salt, 'base64url'), nn, rr, pp, expected.length);
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, checked against when the name is unknown, so that a wrong name takes as
 * long as a wrong password and the answer time does not tell which names exist.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64url'));
  return decoy;
}
