/**
 * Talks to a platform's AGS: an access token by the OAuth 2 client_credentials grant with a
 * private_key_jwt client assertion (IMS Security Framework §4.1, aud = the token URL), cached until
 * shortly before it expires, then a Score POST to `<lineitem>/scores`.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Clock } from '../infra/clock.ts';
import { AGS_SCOPE, CLIENT_ASSERTION_TYPE, SCORE_MEDIA_TYPE } from './claims.ts';
import type { Platform } from './platforms.ts';
import type { ToolKeys } from './tool-keys.ts';

export interface Score {
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  activityProgress: 'Initialized' | 'Started' | 'InProgress' | 'Submitted' | 'Completed';
  gradingProgress: 'FullyGraded' | 'Pending' | 'PendingManual' | 'Failed' | 'NotReady';
  timestamp: string;
  comment?: string;
}

/** A failed platform call; `retryable` says whether trying again later can help. */
export class AgsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AgsError';
  }
}

export class AgsClient {
  private tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(
    private readonly toolKeys: ToolKeys,
    private readonly clock: Clock,
    private readonly timeoutMs = 10_000,
  ) {}

  async accessToken(platform: Platform, scopes: string[]): Promise<string> {
    const cacheKey = `${platform.name}\n${platform.token_url}\n${scopes.join(' ')}`;
    const cached = this.tokens.get(cacheKey);
    if (cached && cached.expiresAt > this.clock.now().getTime()) return cached.token;
    const { kid, key } = await this.toolKeys.signingKey();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(platform.client_id)
      .setSubject(platform.client_id)
      .setAudience(platform.token_url)
      .setIssuedAt(this.clock.now())
      .setExpirationTime(new Date(this.clock.now().getTime() + 300_000))
      .setJti(randomUUID())
      .sign(key);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
      scope: scopes.join(' '),
    });
    const response = await this.call(platform.token_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    }).catch((error: unknown) => {
      // The platform checks the client assertion against the tool's key set, which it fetches from
      // this tool's own server (Open edX on every token request): while that server restarts, the
      // platform answers 400 invalid_client. Such a refusal cannot be told from a wrong registration,
      // so it is tried again; grade_max_attempts still ends a registration that never works.
      if (error instanceof AgsError && !error.retryable) throw new AgsError(error.message, true, error.status);
      throw error;
    });
    const json = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string') throw new AgsError(`token ${platform.token_url}: answer has no access_token`, false);
    const ttl = typeof json.expires_in === 'number' ? json.expires_in : 3600;
    // Renew a minute early so a token never expires between the cache and the platform.
    this.tokens.set(cacheKey, { token: json.access_token, expiresAt: this.clock.now().getTime() + Math.max(0, ttl - 60) * 1000 });
    return json.access_token;
  }

  /** Posts a score; `signal` abandons the call (its sender lost the right to send it). */
  async postScore(platform: Platform, lineitemUrl: string, score: Score, signal?: AbortSignal): Promise<void> {
    const token = await this.accessToken(platform, [AGS_SCOPE.score]);
    try {
      await this.call(scoresUrl(lineitemUrl), {
        method: 'POST',
        headers: { 'content-type': SCORE_MEDIA_TYPE, authorization: `Bearer ${token}` },
        body: JSON.stringify(score),
        signal,
      });
    } catch (error) {
      // A token the platform no longer accepts (restarted, revoked) is fetched again on the next try.
      if (error instanceof AgsError && error.status === 401) this.forget(platform);
      throw error;
    }
  }

  forget(platform: Platform): void {
    for (const key of this.tokens.keys()) if (key.startsWith(`${platform.name}\n`)) this.tokens.delete(key);
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      response = await fetch(url, { ...init, signal: init.signal ? AbortSignal.any([timeout, init.signal]) : timeout });
    } catch (error) {
      throw new AgsError(`${url}: ${(error as Error).cause ? String(((error as Error).cause as Error).message ?? (error as Error).cause) : (error as Error).message}`, true);
    }
    if (response.ok) return response;
    const text = (await response.text().catch(() => '')).slice(0, 300);
    const retryable = response.status >= 500 || response.status === 401 || response.status === 408 || response.status === 429;
    throw new AgsError(`${url}: HTTP ${response.status} ${text}`, retryable, response.status);
  }
}

/** `<lineitem>/scores`, keeping a query string where it was (AGS §3.4). */
export function scoresUrl(lineitemUrl: string): string {
  const url = new URL(lineitemUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/scores`;
  return url.toString();
}
