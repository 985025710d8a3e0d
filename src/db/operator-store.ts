/**
 * SQL for the console's operator accounts and their sessions (tables of migration 011; sessions of an
 * OIDC sign-in, with an issuer instead of an account, since migration 019).
 */
import type { Queryable } from './database.ts';

export interface Operator {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface OperatorSession {
  operator: string;
  expiresAt: Date;
  /** The OpenID provider that signed the operator in; null for a password sign-in. */
  issuer: string | null;
}

export class OperatorStore {
  constructor(private readonly db: Queryable) {}

  /** False when an operator of that name exists already. */
  async add(name: string, passwordHash: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      'INSERT INTO operators (name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING RETURNING name',
      [name, passwordHash, now],
    );
    return rows.length === 1;
  }

  async list(): Promise<Operator[]> {
    const rows = await this.db.query<{ name: string; created_at: Date; updated_at: Date }>('SELECT name, created_at, updated_at FROM operators ORDER BY name');
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  async passwordHash(name: string): Promise<string | null> {
    const rows = await this.db.query<{ password_hash: string }>('SELECT password_hash FROM operators WHERE name = $1', [name]);
    return rows[0]?.password_hash ?? null;
  }

  /** A new password ends every session of the operator: whoever knew the old one is signed out. */
  async setPassword(name: string, passwordHash: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `WITH changed AS (UPDATE operators SET password_hash = $2, updated_at = $3 WHERE name = $1 RETURNING name),
            ended AS (DELETE FROM operator_sessions WHERE account IN (SELECT name FROM changed))
       SELECT name FROM changed`,
      [name, passwordHash, now],
    );
    return rows.length === 1;
  }

  /** Removes the account and (by cascade) its sessions. */
  async remove(name: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM operators WHERE name = $1 RETURNING name', [name])).length === 1;
  }

  /** `from`: the account signed in with its password, or the OpenID provider that vouched for the name. */
  async openSession(tokenHash: string, operator: string, now: Date, expiresAt: Date, from: { account: string } | { issuer: string } = { account: operator }): Promise<void> {
    // Expired sessions are removed as new ones open, so the table does not grow without a sweep.
    await this.db.query(
      `WITH gone AS (DELETE FROM operator_sessions WHERE expires_at <= $3)
       INSERT INTO operator_sessions (token_hash, operator, created_at, expires_at, account, issuer) VALUES ($1, $2, $3, $4, $5, $6)`,
      [tokenHash, operator, now, expiresAt, 'account' in from ? from.account : null, 'issuer' in from ? from.issuer : null],
    );
  }

  async session(tokenHash: string, now: Date): Promise<OperatorSession | null> {
    const rows = await this.db.query<{ operator: string; expires_at: Date; issuer: string | null }>(
      'SELECT operator, expires_at, issuer FROM operator_sessions WHERE token_hash = $1 AND expires_at > $2',
      [tokenHash, now],
    );
    return rows[0] ? { operator: rows[0].operator, expiresAt: rows[0].expires_at, issuer: rows[0].issuer } : null;
  }

  async closeSession(tokenHash: string): Promise<void> {
    await this.db.query('DELETE FROM operator_sessions WHERE token_hash = $1', [tokenHash]);
  }
}
