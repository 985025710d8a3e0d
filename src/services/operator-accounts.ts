/**
 * Named operator accounts for the staff console (docs/console.md): managed with `stacklab operator`,
 * signed in with a password, each sign-in a server-side session whose random token travels only in an
 * HttpOnly cookie. The store keeps the scrypt hash of a password and the SHA-256 of a session token.
 * An operator signed in by the deployment's OpenID provider (oidc-sign-in.ts) gets the same kind of
 * session, tied to that provider instead of an account.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import { OperatorStore, type Operator } from '../db/operator-store.ts';
import { AppError } from '../errors/api-errors.ts';
import { sentence } from '../errors/sentence.ts';
import type { Clock } from '../infra/clock.ts';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from './operator-passwords.ts';
import { SignInThrottle } from './sign-in-throttle.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const NAME_RULE = '1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit';

export function nameProblem(name: string): string | null {
  return NAME.test(name) ? null : `the operator name "${name.slice(0, 80)}" is not valid: use ${NAME_RULE}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export interface SignedIn {
  operator: string;
  token: string;
  expiresAt: Date;
}

export class OperatorAccounts {
  readonly store: OperatorStore;

  private readonly throttle: SignInThrottle;
  private readonly oidcIssuer: string | null;

  /** `oidcIssuer`: the configured OpenID provider, whose sessions are accepted (none when null). */
  constructor(
    db: Queryable,
    private readonly clock: Clock,
    private readonly sessionTtlSeconds: number,
    options: { throttle?: SignInThrottle; oidcIssuer?: string | null } = {},
  ) {
    this.store = new OperatorStore(db);
    this.throttle = options.throttle ?? new SignInThrottle();
    this.oidcIssuer = options.oidcIssuer ?? null;
  }

  /** Throws a plain Error with what to do when the name or password is refused or the name is taken. */
  async add(name: string, password: string): Promise<void> {
    const problem = nameProblem(name) ?? passwordProblem(password);
    if (problem) throw new Error(problem);
    if (!(await this.store.add(name, await hashPassword(password), this.clock.now()))) throw new Error(`an operator named "${name}" exists already: choose another name, or change its password with \`stacklab operator passwd ${name}\``);
  }

  list(): Promise<Operator[]> {
    return this.store.list();
  }

  async remove(name: string): Promise<void> {
    if (!(await this.store.remove(name))) throw new Error(`there is no operator named "${name}": \`stacklab operator list\` shows them`);
  }

  async setPassword(name: string, password: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new Error(problem);
    if (!(await this.store.setPassword(name, await hashPassword(password), this.clock.now()))) throw new Error(`there is no operator named "${name}": \`stacklab operator list\` shows them`);
  }

  /**
   * Checks the password and opens a session. A wrong name and a wrong password get the same answer after
   * the same work; too many failures for the name or from the address are refused (SignInThrottle).
   */
  async signIn(name: string, password: string, address: string): Promise<SignedIn> {
    const now = this.clock.now();
    const keys = [`name:${name.toLowerCase()}`, `address:${address}`];
    const wait = this.throttle.waitMs(keys, now.getTime());
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new AppError('SIGN_IN_THROTTLED', `console sign-in for ${JSON.stringify(name.slice(0, 80))} from ${address} refused: too many failures`, {
        retryAfterSeconds: seconds,
        message: sentence('error.SIGN_IN_THROTTLED.wait', { seconds }),
      });
    }
    const stored = await this.store.passwordHash(name);
    const ok = await verifyPassword(password, stored ?? (await decoyHash()));
    if (!stored || !ok) {
      this.throttle.failed(keys, now.getTime());
      throw new AppError('SIGN_IN_FAILED', `console sign-in for ${JSON.stringify(name.slice(0, 80))} from ${address} failed: ${stored ? 'wrong password' : 'no such operator'}`);
    }
    this.throttle.succeeded(keys[0]);
    return this.open(name, { account: name });
  }

  /** A session for an operator the configured OpenID provider vouched for (its rules: oidc-operators.ts). */
  async signInWithOidc(name: string): Promise<SignedIn> {
    if (!this.oidcIssuer) throw new Error('OIDC sign-in is not configured');
    const problem = nameProblem(name);
    if (problem) throw new Error(problem);
    return this.open(name, { issuer: this.oidcIssuer });
  }

  private async open(name: string, from: { account: string } | { issuer: string }): Promise<SignedIn> {
    const now = this.clock.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.sessionTtlSeconds * 1000);
    await this.store.openSession(tokenHash(token), name, now, expiresAt, from);
    return { operator: name, token, expiresAt };
  }

  /**
   * The operator signed in with this token, or null (unknown, expired, signed out, account removed, or
   * opened by an OpenID provider that is no longer the configured one).
   */
  async operatorFor(token: string): Promise<string | null> {
    const session = await this.store.session(tokenHash(token), this.clock.now());
    if (!session || (session.issuer !== null && session.issuer !== this.oidcIssuer)) return null;
    return session.operator;
  }

  async signOut(token: string): Promise<void> {
    await this.store.closeSession(tokenHash(token));
  }
}
