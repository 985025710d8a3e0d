/**
 * The tool's own RS256 key pairs: they sign deep-linking responses and AGS client assertions.
 * Stored in the database (private key sealed with keys.encrypt), published at /.well-known/jwks.json.
 *
 * Rotation follows the rule platforms depend on: a new key is published `publishLeadSeconds` before
 * it starts signing (platforms that cache our JWKS pick it up first), and the old key stays published
 * for `keepSeconds` after it stops signing (tokens it signed still verify). The very first key signs at
 * once, since no platform can hold a stale copy of a key set that never existed.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey, type JWK } from 'jose';
import type { Database, Queryable } from '../db/database.ts';
import type { Clock } from '../infra/clock.ts';
import type { Keys } from '../infra/keys.ts';

export interface RotationTimes {
  publishLeadSeconds: number;
  keepSeconds: number;
}

export const DEFAULT_ROTATION: RotationTimes = { publishLeadSeconds: 24 * 3600, keepSeconds: 7 * 24 * 3600 };

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_key: string;
  created_at: Date;
  signs_from: Date;
  retire_at: Date | null;
}

export interface ToolKeyInfo {
  kid: string;
  createdAt: Date;
  signsFrom: Date;
  retireAt: Date | null;
  /** 'next' = published, not signing yet; 'signing'; 'retiring' = published, no longer signing. */
  status: 'next' | 'signing' | 'retiring';
}

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

export class ToolKeys {
  private cache = new Map<string, CryptoKey>();

  constructor(
    private readonly db: Database,
    private readonly keys: Keys,
    private readonly clock: Clock,
  ) {}

  /** Public keys still published (future, current and retiring), newest first. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const rows = await this.published();
    return { keys: rows.map((r) => ({ ...r.public_jwk, kid: r.kid, alg: 'RS256', use: 'sig' })) };
  }

  /** The key that signs now, creating the first one when there is none. */
  async signingKey(): Promise<SigningKey> {
    let row = await this.currentRow();
    if (!row) {
      await this.createFirst();
      row = await this.currentRow();
    }
    if (!row) throw new Error('lti: no tool key can sign');
    let key = this.cache.get(row.kid);
    if (!key) {
      key = await importPKCS8(this.keys.decrypt(row.private_key), 'RS256');
      this.cache.set(row.kid, key);
    }
    return { kid: row.kid, key };
  }

  /**
   * Creates the first key unless another process just did: servers and workers starting together on an
   * empty table take turns under the lock, and the later ones find the key already there.
   */
  private async createFirst(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE lti_tool_keys IN SHARE ROW EXCLUSIVE MODE');
      const [published] = await tx.query('SELECT 1 FROM lti_tool_keys WHERE retire_at IS NULL OR retire_at > $1 LIMIT 1', [this.clock.now()]);
      if (!published) await this.create(this.clock.now(), tx);
    });
  }

  /**
   * Starts a rotation: publishes a new key that signs after `publishLeadSeconds` and schedules the
   * retirement of the keys it replaces. Returns the new kid.
   */
  async rotate(times: RotationTimes = DEFAULT_ROTATION): Promise<string> {
    return this.db.transaction((tx) => this.rotateOn(tx, times));
  }

  /**
   * Rotates when the newest key is older than `maxAgeSeconds`; for the periodic job. Every worker runs
   * that job, so the check and the rotation hold a lock that makes them take turns: the second worker
   * sees the first one's new key and leaves it, instead of rotating again.
   */
  async rotateIfOlderThan(maxAgeSeconds: number, times: RotationTimes = DEFAULT_ROTATION): Promise<string | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE lti_tool_keys IN SHARE ROW EXCLUSIVE MODE');
      const [newest] = await tx.query<{ created_at: Date }>('SELECT created_at FROM lti_tool_keys ORDER BY created_at DESC LIMIT 1');
      if (!newest) return null;
      if (this.clock.now().getTime() - newest.created_at.getTime() < maxAgeSeconds * 1000) return null;
      return this.rotateOn(tx, times);
    });
  }

  private async rotateOn(db: Queryable, times: RotationTimes): Promise<string> {
    const now = this.clock.now();
    const signsFrom = new Date(now.getTime() + times.publishLeadSeconds * 1000);
    const retireAt = new Date(signsFrom.getTime() + times.keepSeconds * 1000);
    await db.query('UPDATE lti_tool_keys SET retire_at = $1 WHERE retire_at IS NULL', [retireAt]);
    return this.create(signsFrom, db);
  }

  /** Deletes keys past their retirement; returns how many. */
  async prune(): Promise<number> {
    const rows = await this.db.query<{ kid: string }>('DELETE FROM lti_tool_keys WHERE retire_at IS NOT NULL AND retire_at <= $1 RETURNING kid', [this.clock.now()]);
    for (const r of rows) this.cache.delete(r.kid);
    return rows.length;
  }

  async list(): Promise<ToolKeyInfo[]> {
    const now = this.clock.now();
    const current = await this.currentRow();
    return (await this.published()).map((r) => ({
      kid: r.kid,
      createdAt: r.created_at,
      signsFrom: r.signs_from,
      retireAt: r.retire_at,
      status: r.kid === current?.kid ? 'signing' : r.signs_from > now ? 'next' : 'retiring',
    }));
  }

  private async published(): Promise<KeyRow[]> {
    return this.db.query<KeyRow>('SELECT * FROM lti_tool_keys WHERE retire_at IS NULL OR retire_at > $1 ORDER BY signs_from DESC, created_at DESC', [this.clock.now()]);
  }

  private async currentRow(): Promise<KeyRow | undefined> {
    const [row] = await this.db.query<KeyRow>(
      'SELECT * FROM lti_tool_keys WHERE signs_from <= $1 AND (retire_at IS NULL OR retire_at > $1) ORDER BY signs_from DESC, created_at DESC LIMIT 1',
      [this.clock.now()],
    );
    if (row) return row;
    // Every key is retired or not yet signing (a clock jump, or the old keys pruned early): the
    // newest published key is the best choice left, so signing never stops.
    const [next] = await this.db.query<KeyRow>('SELECT * FROM lti_tool_keys WHERE retire_at IS NULL OR retire_at > $1 ORDER BY signs_from DESC LIMIT 1', [this.clock.now()]);
    return next;
  }

  private async create(signsFrom: Date, db: Queryable = this.db): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = randomUUID();
    const publicJwk = await exportJWK(publicKey);
    const sealed = this.keys.encrypt(await exportPKCS8(privateKey));
    await db.query(
      'INSERT INTO lti_tool_keys (kid, public_jwk, private_key, created_at, signs_from) VALUES ($1, $2, $3, $4, $5)',
      [kid, JSON.stringify(publicJwk), sealed, this.clock.now(), signsFrom],
    );
    return kid;
  }
}
