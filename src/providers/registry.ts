/**
 * Builds the configured providers. `providers: auto` means the local runtime where it can run (root +
 * lxc), and otherwise none, with a notice that says why. Explicit entries name a kind and its options.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { FakeProvider, fakeProviderOptions } from './fake/fake-provider.ts';
import type { Provider } from './provider.ts';
import type { CloudLimiters } from './openstack/limiter.ts';

const entrySchema = z.looseObject({ name: z.string().regex(/^[a-z0-9][a-z0-9-_]*$/, 'use lower-case letters, digits, - and _'), kind: z.enum(['lxc', 'openstack', 'fake']) });

export interface BuiltProviders {
  providers: Provider[];
  notices: string[];
}

/** What the providers built in one call share: per-cloud request limits, and the deployment they serve. */
interface Shared {
  cloudLimiters: CloudLimiters;
  deployment: string;
}

interface KindModule {
  create(name: string, options: unknown, logger: Logger, shared: Shared): Promise<Provider>;
}

const KINDS: Record<string, () => Promise<KindModule>> = {
  fake: async () => ({ create: async (name, options) => new FakeProvider(name, fakeProviderOptions.parse(options)) }),
  lxc: async () => {
    const mod = await import('./lxc/provider.ts');
    return { create: async (name, options, logger, shared) => mod.createLxcProvider(name, mod.lxcProviderOptions.parse(options), logger, { deployment: shared.deployment }) };
  },
  openstack: async () => {
    const mod = await import('./openstack/provider.ts');
    const opts = await import('./openstack/options.ts');
    return {
      create: async (name, options, logger, shared) =>
        mod.createOpenStackProvider(name, opts.openStackProviderOptions.parse(options), logger, { limiters: shared.cloudLimiters }),
    };
  },
};

/** `identity.deployment`: the deployment the providers act for (the local runtime keeps each one's stacks apart). */
export async function buildProviders(setting: string, fileEntries: unknown[] | null, logger: Logger, identity: { deployment: string }): Promise<BuiltProviders> {
  const notices: string[] = [];
  let entries: unknown[];
  if (fileEntries) entries = fileEntries;
  else if (setting === 'auto') {
    const { checkLxcHost } = await import('./lxc/host-check.ts');
    const check = await checkLxcHost();
    if (!check.ok) {
      notices.push(`The local runtime is off: ${check.reason}`);
      return { providers: [], notices };
    }
    entries = [{ name: 'local', kind: 'lxc' }];
  } else if (setting === 'none' || setting === '') entries = [];
  else {
    try {
      entries = JSON.parse(setting) as unknown[];
    } catch {
      throw new Error(`STACKLAB_PROVIDERS must be 'auto', 'none' or a JSON list of {name, kind, ...options}; got: ${setting.slice(0, 40)}`);
    }
  }
  const providers: Provider[] = [];
  const { CloudLimiters } = await import('./openstack/limiter.ts');
  const shared: Shared = { cloudLimiters: new CloudLimiters(), deployment: identity.deployment };
  for (const [i, raw] of entries.entries()) {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) throw new Error(`providers[${i}]: ${parsed.error.issues.map((e) => `${e.path.join('.')}: ${e.message}`).join('; ')}`);
    const { name, kind, ...options } = parsed.data;
    if (providers.some((p) => p.name === name)) throw new Error(`providers[${i}]: the name '${name}' is used twice`);
    const mod = await KINDS[kind]!();
    providers.push(await mod.create(name, options, logger.child({ provider: name }), shared));
  }
  // Limits that let the local runtime run but cap how many labs it holds: said at start and in /readiness.
  if (providers.some((p) => p.kind === 'lxc')) notices.push(...(await import('./lxc/host-check.ts')).hostLimitWarnings());
  return { providers, notices };
}
