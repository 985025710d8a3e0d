/**
 * OIDC login state and nonce, kept on the server: a cookie set by the login step does not always come
 * back with the platform's cross-site form post inside an LMS iframe, so the state itself is the key;
 * tying the state to the browser is browser-binding.ts's job, where the browser allows it.
 * Each state is random, short-lived and consumed by a single DELETE, so it works exactly once even
 * with several servers on one database. Used nonces are remembered per issuer until the id_token
 * they came in could no longer be valid.
 *
 * Anyone can open the login URL, so what it stores is bounded: each row is small (the one field from
 * the request, target_link_uri, is capped) and the rows are at most `capacity`. When the table is full,
 * expired rows go first; when all are live, the login is refused (503) rather than the store filled.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Clock } from '../infra/clock.ts';
import { LtiError } from './lti-error.ts';
import { sentence } from '../errors/sentence.ts';

/** Longest target_link_uri stored; the tool's launch URL with a query is far shorter. */
export const MAX_TARGET_LINK_URI = 2048;

/** Login states held at once when the setting (max_lti_login_states) does not say. */
export const DEFAULT_LOGIN_STATE_CAPACITY = 10_000;

/** The advisory lock that makes "count, then insert" one step across server processes (one-key form; migrations use 7412001). */
const LOGIN_STATES_LOCK = 7412003;

export interface LoginState {
  state: string;
  nonce: string;
  platform: string;
  targetLinkUri: string | null;
}

export class LoginStates {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly ttlSeconds = 300,
    /** Rows held at once, live or expired (setting max_lti_login_states). */
    private readonly capacity = DEFAULT_LOGIN_STATE_CAPACITY,
  ) {}

  /**
   * Stores a new state for a login; refuses a target_link_uri longer than MAX_TARGET_LINK_URI (400)
   * and, when `capacity` states are live, the login itself (503).
   */
  async issue(platform: string, targetLinkUri: string | null): Promise<LoginState> {
    if (targetLinkUri !== null && targetLinkUri.length > MAX_TARGET_LINK_URI) {
      throw new LtiError(
        'bad_request',
        sentence('lti.refusal.linkTooLong'),
        `target_link_uri of ${targetLinkUri.length} characters (at most ${MAX_TARGET_LINK_URI})`,
      );
    }
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const now = this.clock.now();
    const expires = new Date(now.getTime() + this.ttlSeconds * 1000);
    await this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${LOGIN_STATES_LOCK})`);
      const [held] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM lti_login_states');
      if ((held?.n ?? 0) >= this.capacity) {
        const expired = await tx.query('DELETE FROM lti_login_states WHERE expires_at <= $1 RETURNING state', [now]);
        if ((held?.n ?? 0) - expired.length >= this.capacity) {
          throw new LtiError(
            'busy',
            sentence('lti.refusal.busy'),
            `${this.capacity} LTI logins in progress (setting max_lti_login_states); refused a login for ${platform}`,
          );
        }
      }
      await tx.query('INSERT INTO lti_login_states (state, nonce, platform, target_link_uri, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        state,
        nonce,
        platform,
        targetLinkUri,
        expires,
      ]);
    });
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
