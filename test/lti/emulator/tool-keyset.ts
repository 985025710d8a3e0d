/**
 * Verifies JWTs a tool signs (client assertions, deep-linking responses) with the tool's public key
 * set, fetched on every use as xblock-lti-consumer's ToolKeyHandler does (load_jwks_from_url).
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

export class ToolJwtError extends Error {
  constructor(
    readonly kind: 'no_suitable_keys' | 'malformed' | 'bad_signature' | 'expired' | 'claim',
    message: string,
  ) {
    super(message);
  }
}

export async function verifyToolJwt(keysetUrl: string, token: string, checks: { audience?: string; issuer?: string } = {}): Promise<JWTPayload> {
  let set: JSONWebKeySet;
  try {
    const response = await fetch(keysetUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    set = (await response.json()) as JSONWebKeySet;
  } catch (error) {
    throw new ToolJwtError('no_suitable_keys', `tool keyset ${keysetUrl}: ${(error as Error).message}`);
  }
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(set), { algorithms: ['RS256'], ...checks });
    return payload;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw new ToolJwtError('no_suitable_keys', (error as Error).message);
    if (code === 'ERR_JWS_INVALID' || code === 'ERR_JWT_INVALID') throw new ToolJwtError('malformed', (error as Error).message);
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw new ToolJwtError('bad_signature', (error as Error).message);
    if (code === 'ERR_JWT_EXPIRED') throw new ToolJwtError('expired', (error as Error).message);
    throw new ToolJwtError('claim', (error as Error).message);
  }
}
