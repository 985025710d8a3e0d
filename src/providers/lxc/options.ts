/**
 * Settings of the local LXC runtime: one zod schema, with defaults that work on a single Debian
 * host. Unknown keys are refused so a typo in the config file is caught at start.
 */
import { z } from 'zod';

export const flavorSchema = z
  .object({
    vcpus: z.number().positive().describe('CPU limit in cores (cgroup CPU quota).'),
    memoryMb: z.number().int().positive().describe('Memory limit in MiB.'),
    pids: z.number().int().positive().default(2048).describe('Maximum number of processes.'),
  })
  .strict();
export type Flavor = z.infer<typeof flavorSchema>;

export const DEFAULT_FLAVORS: Record<string, Flavor> = {
  'm1.tiny': { vcpus: 1, memoryMb: 512, pids: 1024 },
  'm1.small': { vcpus: 1, memoryMb: 2048, pids: 2048 },
  'm1.medium': { vcpus: 2, memoryMb: 4096, pids: 4096 },
  'm1.large': { vcpus: 4, memoryMb: 8192, pids: 8192 },
};

/**
 * Template image names (normalised: lower case, letters and digits only) to the base images this
 * runtime builds. Ubuntu names map to Debian 12 on purpose: labs written for an Ubuntu cloud image run
 * on the same systemd + sshd + apt userland; authors who need the exact distribution use OpenStack.
 * Debian's own cloud image names (`debian-11-genericcloud-amd64`, with or without a build date) are
 * recognised by pattern in images.ts; these are the names people give them in Glance.
 */
export const DEFAULT_IMAGE_ALIASES: Record<string, string> = {
  debian11: 'debian-11',
  debianbullseye: 'debian-11',
  bullseye: 'debian-11',
  debian11bullseye: 'debian-11',
  debian11x8664: 'debian-11',
  debian12: 'debian-12',
  debianbookworm: 'debian-12',
  bookworm: 'debian-12',
  debian12bookworm: 'debian-12',
  debian: 'debian-12',
  debian12x8664: 'debian-12',
  debian13: 'debian-13',
  debiantrixie: 'debian-13',
  trixie: 'debian-13',
  debian13trixie: 'debian-13',
  debian13x8664: 'debian-13',
  ubuntu: 'debian-12',
  ubuntu2004: 'debian-12',
  ubuntu2204: 'debian-12',
  ubuntu2404: 'debian-12',
  ubuntu2204lts: 'debian-12',
  ubuntujammy: 'debian-12',
  desktop: 'desktop',
  debian12desktop: 'desktop',
};

const camel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Config files and env JSON use snake_case (`data_dir`); the schema's own keys are camelCase. Both are accepted. */
function camelKeys(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [camel(k), camelKeys2(camel(k), v)]));
}
function camelKeys2(key: string, v: unknown): unknown {
  // Image aliases and flavor names are user data: keep their keys, but camel-case flavor fields.
  if (key === 'flavors' && typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([n, f]) => [n, camelKeys(f)]));
  if (key === 'defaultFlavor') return camelKeys(v);
  return v;
}

export const lxcProviderObject = z
  .object({
    dataDir: z.string().default('/var/lib/stacklab/lxc').describe('Where images, containers and stack state live.'),
    mirror: z.string().default('http://deb.debian.org/debian').describe('Debian mirror debootstrap builds images from.'),
    images: z
      .record(z.string(), z.string())
      .default({})
      .describe('Extra template image names mapped to catalog images ("My Image": "debian-12").'),
    keyPairs: z
      .record(z.string(), z.string().regex(/^(ssh-|ecdsa-)\S+ \S+/, 'an OpenSSH public key (ssh-ed25519 AAAA...)'))
      .default({})
      .describe('Key pairs that exist on this host, for servers whose key_name names no key pair of the template (name -> OpenSSH public key).'),
    defaultImage: z.string().default('debian-12').describe('Image used when a server names no image.'),
    flavors: z.record(z.string(), flavorSchema).default({}).describe('Extra flavors (name -> limits).'),
    defaultFlavor: flavorSchema.default({ vcpus: 1, memoryMb: 1024, pids: 2048 }).describe('Limits for unknown flavors.'),
    publicBridge: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,15}$/)
      .default('slpub0')
      .describe('Host bridge the floating IPs live on.'),
    publicCidr: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/)
      .default('10.254.0.0/16')
      .describe('Range of floating IPs; its first address is the host end.'),
    externalNetworks: z
      .array(z.string())
      .default(['public', 'ext-net', 'ext_net', 'external', 'external-net', 'provider', 'public-net'])
      .describe('Names a template may give the external network to attach a server to it directly (each such NIC gets an address of the public range).'),
    signalPort: z.number().int().min(1).max(65535).default(8799).describe('Port of the wait-condition signal endpoint (host end of the public range).'),
    outboundInterface: z.string().optional().describe('Host interface for labs allowed to reach the internet (default: the default route).'),
    bootTimeoutSeconds: z.number().positive().default(120).describe('How long a server may take to accept SSH.'),
  })
  .strict();

export const lxcProviderOptions = z.preprocess(camelKeys, lxcProviderObject);

export type LxcProviderOptions = z.input<typeof lxcProviderObject>;
export type LxcSettings = z.output<typeof lxcProviderObject>;

export function parseLxcOptions(input: LxcProviderOptions = {}): LxcSettings {
  return lxcProviderOptions.parse(input);
}
