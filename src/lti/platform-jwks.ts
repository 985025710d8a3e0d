/**
 * The platforms' public keys, cached per JWKS URL. A token signed with a kid we do not know makes us
 * fetch the set again (the platform rotated), but at most once per `refreshCooldownMs`, so forged
 * tokens with random kids cannot turn the server into a request amplifier against the platform.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters, type FlattenedJWSInput, type CryptoKey } from 'jose';

interface Entry {
  set: JSONWebKeySet;
  fetchedAt: number;
}

export interface JwksCacheOptions {
  maxAgeMs?: number;
  refreshCooldownMs?: number;
  timeoutMs?: number;
}

export class UnknownKeyError extends Error {}

export class PlatformJwks {
  private entries = new Map<string, Entry>();
  private readonly maxAgeMs: number;
  private readonly refreshCooldownMs: number;
  private readonly timeoutMs: number;

  constructor(options: JwksCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.refreshCooldownMs = options.refreshCooldownMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** A jose key resolver for one JWKS URL. */
  resolver(jwksUrl: string): (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey> {
    return async (header, token) => {
      let entry = this.entries.get(jwksUrl);
      if (!entry || Date.now() - entry.fetchedAt > this.maxAgeMs) entry = await this.fetch(jwksUrl);
      try {
        return await createLocalJWKSet(entry.set)(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        if (Date.now() - entry.fetchedAt < this.refreshCooldownMs) throw new UnknownKeyError(`no key with kid ${header.kid ?? '(none)'} in ${jwksUrl}`);
        entry = await this.fetch(jwksUrl);
        try {
          return await createLocalJWKSet(entry.set)(header, token);
        } catch (again) {
          if (again instanceof errors.JWKSNoMatchingKey) throw new UnknownKeyError(`no key with kid ${header.kid ?? '(none)'} in ${jwksUrl}, even after a refresh`);
          throw again;
        }
      }
    };
  }

  private async fetch(jwksUrl: string): Promise<Entry> {
    let response: Response;
    try {
      response = await fetch(jwksUrl, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    } catch (error) {
      throw new Error(`fetch platform JWKS ${jwksUrl}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new Error(`fetch platform JWKS ${jwksUrl}: HTTP ${response.status}`);
    const set = (await response.json()) as JSONWebKeySet;
    if (!set || !Array.isArray(set.keys)) throw new Error(`platform JWKS ${jwksUrl} has no keys array`);
    const entry = { set, fetchedAt: Date.now() };
    this.entries.set(jwksUrl, entry);
    return entry;
  }
}
