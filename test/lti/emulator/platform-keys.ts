/** The emulated platform's RS256 keys: the one that signs, older ones still published, and tampering helpers. */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newPair(kid: string = randomUUID()): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export type Forgery = 'foreign-key' | 'unknown-kid';

export class PlatformKeys {
  private constructor(
    private current: KeyPair,
    private readonly published: KeyPair[],
  ) {}

  static async create(): Promise<PlatformKeys> {
    const pair = await newPair();
    return new PlatformKeys(pair, [pair]);
  }

  get kid(): string {
    return this.current.kid;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.published.map((k) => k.publicJwk) };
  }

  /** A new key signs from now on; the old one stays published. Returns the new kid. */
  async rotate(): Promise<string> {
    this.current = await newPair();
    this.published.unshift(this.current);
    return this.current.kid;
  }

  /**
   * Signs like jwkest's JWS(alg=RS256, cty=JWT) with the current kid; a forgery signs with a key
   * nobody published, under the current kid ('foreign-key') or under a kid nobody knows ('unknown-kid').
   */
  async sign(payload: JWTPayload, forgery?: Forgery): Promise<string> {
    let pair = this.current;
    if (forgery === 'foreign-key') pair = { ...(await newPair(this.current.kid)) };
    if (forgery === 'unknown-kid') pair = await newPair();
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: pair.kid, cty: 'JWT', typ: 'JWT' }).sign(pair.privateKey);
  }

  /** The public keys (for verifying our own access tokens). */
  publicJwks(): JWK[] {
    return this.published.map((k) => k.publicJwk);
  }
}
