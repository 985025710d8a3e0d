/**
 * One master secret, from config or generated once into the data folder (mode 0600), from which every
 * purpose gets its own key by HKDF: encrypting stack secrets at rest, signing sessions, signing
 * connection tokens. A leaked token key then says nothing about the encryption key.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type KeyPurpose = 'secrets-at-rest' | 'session' | 'connection-token' | 'lti-state' | 'departure' | 'console-oidc';

export class Keys {
  private constructor(private readonly master: Buffer) {}

  static fromBase64(value: string): Keys {
    const master = Buffer.from(value, 'base64');
    if (master.length < 32) throw new Error('secret_key must be at least 32 bytes, base64-encoded (try: openssl rand -base64 32)');
    return new Keys(master);
  }

  /** Reads `<dataDir>/secret.key`, creating it on first start. */
  static fromDataDir(dataDir: string): Keys {
    const file = join(dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    return Keys.fromBase64(readFileSync(file, 'utf8').trim());
  }

  static ephemeral(): Keys {
    return new Keys(randomBytes(32));
  }

  key(purpose: KeyPurpose): Buffer {
    return Buffer.from(hkdfSync('sha256', this.master, Buffer.alloc(0), `stacklab:${purpose}`, 32));
  }

  /** AES-256-GCM; the result is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key('secrets-at-rest'), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key('secrets-at-rest'), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
