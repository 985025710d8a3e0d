/**
 * The SSH key pair the platform makes for one lab environment. Nova stopped generating key pairs
 * (API 2.92, OpenStack Zed): `OS::Nova::KeyPair` without `public_key` fails there. A template that
 * declares the platform parameters below gets the public key (for `OS::Nova::KeyPair`'s `public_key`)
 * and the private key (for servers that need it, e.g. to reach each other); the platform keeps the
 * private key as the environment's login key. Templates that declare neither still ask the cloud.
 */
import { promisify } from 'node:util';
import ssh2 from 'ssh2';

export const PUBLIC_KEY_PARAMETER = 'stacklab_public_key';
export const PRIVATE_KEY_PARAMETER = 'stacklab_private_key';

export interface PlatformKeyPair {
  publicKey: string;
  privateKey: string;
}

const generate = promisify(ssh2.utils.generateKeyPair) as (type: 'rsa', opts: { bits: number; comment: string }) => Promise<{ private: string; public: string }>;

/** True when the template asks the platform for a key pair (declares its public key parameter). */
export function wantsPlatformKeyPair(declaredParameters: readonly string[]): boolean {
  return declaredParameters.includes(PUBLIC_KEY_PARAMETER);
}

/** RSA, like the key pairs Nova used to generate, so templates writing ~/.ssh/id_rsa keep working. */
export async function makePlatformKeyPair(comment: string): Promise<PlatformKeyPair> {
  const made = await generate('rsa', { bits: 2048, comment });
  return { publicKey: made.public.trim(), privateKey: made.private };
}
