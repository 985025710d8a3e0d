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

/**
 * Making an RSA key takes 0.1-0.8 s of CPU (more on a busy machine), all of it inside a launch's time
 * (BENCHMARKS.md, "Sample labs on Heat + Nova"). So a few pairs are made ahead, off the event loop, and
 * a launch takes one: the first launch of a process pays for its own, later ones find one ready while
 * the pool refills behind them. A pooled pair is made before its stack's name is known, so the name
 * goes on its public half (the comment Nova shows) and its private half carries no comment.
 */
const POOL_SIZE = 3;
const pool: PlatformKeyPair[] = [];
let filling: Promise<void> | undefined;

/** Fills the pool (in the background unless awaited); resolves when it is full. */
export function fillPlatformKeyPool(): Promise<void> {
  filling ??= (async () => {
    while (pool.length < POOL_SIZE) pool.push(await makePlatformKeyPair(''));
  })().finally(() => {
    filling = undefined;
  });
  return filling;
}

/** A pair for the stack named `comment`: a pooled one when there is one, else made now. */
export async function takePlatformKeyPair(comment: string): Promise<PlatformKeyPair> {
  const ready = pool.shift();
  void fillPlatformKeyPool().catch(() => undefined);
  if (!ready) return makePlatformKeyPair(comment);
  return { publicKey: `${ready.publicKey} ${comment}`, privateKey: ready.privateKey };
}

/** Pairs ready in the pool (tests, diagnostics). */
export function pooledPlatformKeyPairs(): number {
  return pool.length;
}
