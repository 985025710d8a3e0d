/**
 * Connection tokens are single use. The ids of the tokens the gateway accepted are kept in the
 * database until the tokens expire, so the rule holds across every server process on one store;
 * a row per connection, deleted by the LTI housekeeping job's sweep of expired ids. The rows share
 * the table of used LTI nonces (same shape: an issuer, an id, an expiry), under their own issuer. The
 * LTI deep-linking picker's tokens are single use the same way, under theirs.
 */
import type { Queryable } from '../db/database.ts';

export const CONNECTION_TOKEN_ISSUER = 'stacklab:connection-token';
/** The deep-linking picker's tokens (src/lti/deep-linking.ts): one lab choice per picker page. */
export const PICKER_TOKEN_ISSUER = 'stacklab:lti-picker';

/** Records the id as used under `issuer` until `expiresAt`; false when it had been used before. */
export async function useTokenOnce(db: Queryable, issuer: string, tokenId: string, expiresAt: Date): Promise<boolean> {
  const rows = await db.query('INSERT INTO lti_used_nonces (issuer, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING nonce', [
    issuer,
    tokenId,
    expiresAt,
  ]);
  return rows.length === 1;
}

/** Records the token as used; false when it had been used before. */
export async function useConnectionToken(db: Queryable, grant: { tokenId: string; expiresAt: Date }): Promise<boolean> {
  return useTokenOnce(db, CONNECTION_TOKEN_ISSUER, grant.tokenId, grant.expiresAt);
}
