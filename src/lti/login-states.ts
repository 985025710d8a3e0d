/**
 * OIDC login state and nonce, kept on the server: a cookie set by the login step would not come back
 * with the platform's cross-site form post inside an LMS iframe, so the state itself is the key.
 * Each state is random, short-lived and consumed by a single DELETE, so it works exactly once even
 * with several servers on one database. Used nonces are remembered per issuer until the id_token
 * they came in could no longer be valid.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import type { Clock } from '../infra/clock.ts';

export interface LoginState {
  state: string;
  nonce: string;
  platform: string;
  targetLinkUri: string | null;
}

export class LoginStates {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly ttlSeconds = 300,
  ) {}

  async issue(platform: string, targetLinkUri: string | null): Promise<LoginState> {
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const expires = new Date(this.clock.now().getTime() + this.ttlSeconds * 1000);
    await this.db.query('INSERT INTO lti_login_states (state, nonce, platform, target_link_uri, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      state,
      nonce,
      platform,
      targetLinkUri,
      expires,
    ]);
    return { state, nonce, platform, targetLinkUri };
  }

  /** Returns the state once; undefined when it was never issued, was used already or has expired. */
  async consume(state: string): Promise<LoginState | undefined> {
    const [row] = await this.db.query<{ state: string; nonce: string; platform: string; target_link_uri: string | null; expires_at: Date }>(
      'DELETE FROM lti_login_states WHERE state = $1 RETURNING *',
      [state],
    );
    if (!row || row.expires_at <= this.clock.now()) return undefined;
    return { state: row.state, nonce: row.nonce, platform: row.platform, targetLinkUri: row.target_link_uri };
  }

  /** Records a nonce as used; false when it was seen before (a replay). */
  async useNonce(issuer: string, nonce: string, validUntil: Date): Promise<boolean> {
    const rows = await this.db.query('INSERT INTO lti_used_nonces (issuer, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING nonce', [
      issuer,
      nonce,
      validUntil,
    ]);
    return rows.length === 1;
  }

  /** Drops expired states and nonces; returns how many rows went. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const states = await this.db.query('DELETE FROM lti_login_states WHERE expires_at <= $1 RETURNING state', [now]);
    const nonces = await this.db.query('DELETE FROM lti_used_nonces WHERE expires_at <= $1 RETURNING nonce', [now]);
    return states.length + nonces.length;
  }
}
