/** Key material made by the runtime: OS::Nova::KeyPair keys and per-server SSH host keys. */
import { generateKeyPair, generateKeyPairSync, randomBytes, randomInt, createPublicKey } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

function sshString(buf: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

function mpint(b64url: string): Buffer {
  let b = Buffer.from(b64url, 'base64url');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

export interface SshKeyPair {
  privateKey: string;
  publicKey: string;
}

/**
 * RSA key generation takes 100-500 ms of CPU, most of a single-server launch's budget, so a few
 * pairs are made ahead of time off the event loop (libuv's pool) and handed out by `takeRsaKeyPair`.
 */
const pool: { privateKey: string; spki: string }[] = [];
let filling: Promise<void> | undefined;
const POOL_SIZE = 3;

export function fillKeyPool(): Promise<void> {
  filling ??= (async () => {
    while (pool.length < POOL_SIZE) {
      const { privateKey, publicKey } = await generate('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      pool.push({ privateKey, spki: publicKey });
    }
  })().finally(() => {
    filling = undefined;
  });
  return filling;
}

/** A pair from the pool when there is one (and the pool refills in the background), else a new one. */
export function takeRsaKeyPair(comment: string): SshKeyPair {
  const ready = pool.shift();
  void fillKeyPool().catch(() => {});
  if (!ready) return makeRsaKeyPair(comment);
  return { privateKey: ready.privateKey, publicKey: rsaPublicToOpenSsh(ready.spki, comment) };
}

/** RSA like Nova's generated key pairs, so templates that write it to ~/.ssh/id_rsa keep working. */
export function makeRsaKeyPair(comment: string): SshKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey: rsaPublicToOpenSsh(publicKey, comment) };
}

export function rsaPublicToOpenSsh(spkiPem: string, comment: string): string {
  const jwk = createPublicKey(spkiPem).export({ format: 'jwk' });
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e!), mpint(jwk.n!)]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

/** A host key sshd reads (PEM EC key), made without spawning ssh-keygen. */
export async function makeHostKey(comment: string): Promise<SshKeyPair> {
  const { privateKey, publicKey } = await generate('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const jwk = createPublicKey(publicKey).export({ format: 'jwk' });
  const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const blob = Buffer.concat([sshString(Buffer.from('ecdsa-sha2-nistp256')), sshString(Buffer.from('nistp256')), sshString(q)]);
  return { privateKey, publicKey: `ecdsa-sha2-nistp256 ${blob.toString('base64')} ${comment}` };
}

const ALPHABETS: Record<string, string> = {
  lettersdigits: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  letters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdef',
  octdigits: '01234567',
};

/** OS::Heat::RandomString: `length` characters from `character_classes` (the first class only, like a plain Heat call). */
export function randomString(length: number, characterClass = 'lettersdigits', sequence?: string): string {
  const alphabet = [...(sequence || (Object.hasOwn(ALPHABETS, characterClass) ? ALPHABETS[characterClass] : ALPHABETS.lettersdigits))];
  // randomInt is uniform for any alphabet size (byte-wise rejection sampling never ends past 256 characters).
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export function randomToken(): string {
  return randomBytes(24).toString('hex');
}
