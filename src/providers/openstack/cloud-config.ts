/**
 * Where an OpenStack provider's credentials come from, resolved the way the OpenStack tools do it:
 * explicit `auth` in stacklab's config, else a clouds.yaml entry (`cloud`, or OS_CLOUD) with its
 * secure.yaml merged in, else the OS_* environment variables of an openrc file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ProviderError } from '../provider.ts';
import { INTERFACES, openStackAuthOptions, type EndpointInterface, type OpenStackAuthOptions, type OpenStackSettings } from './options.ts';

export type AuthMethod = 'password' | 'application_credential';

export interface ResolvedCloud {
  /** Where the credentials were found, for the log (never the credentials themselves). */
  source: string;
  /** Keystone v3 base URL, always ending in /v3. */
  authUrl: string;
  method: AuthMethod;
  auth: OpenStackAuthOptions;
  region?: string;
  interface: EndpointInterface;
}

export interface CloudSources {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
  /** System-wide folder, /etc/openstack unless a test says otherwise. */
  etcDir?: string;
}

type CloudEntry = Record<string, unknown> & { auth?: Record<string, unknown> };

function configError(detail: string): ProviderError {
  return new ProviderError('AUTH_FAILED', 'The OpenStack cloud is not configured correctly; ask the operator to check its credentials.', detail);
}

function candidates(base: string, src: Required<CloudSources>): string[] {
  const names = [`${base}.yaml`, `${base}.yml`];
  const dirs = [src.cwd, join(src.home, '.config', 'openstack'), src.etcDir];
  return dirs.flatMap((d) => names.map((n) => join(d, n)));
}

function readYamlFile(path: string): Record<string, unknown> {
  try {
    const doc: unknown = parseYaml(readFileSync(path, 'utf8'));
    return doc && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  } catch (err) {
    throw configError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** Finds a named cloud in the first clouds.yaml found, merged with the first secure.yaml found. */
export function findCloudEntry(name: string, sources: CloudSources = {}): { entry: CloudEntry; path: string } {
  const src = fillSources(sources);
  const explicit = src.env.OS_CLIENT_CONFIG_FILE;
  const files = [...(explicit ? [resolve(src.cwd, explicit)] : []), ...candidates('clouds', src)];
  const path = files.find((f) => existsSync(f));
  if (!path) throw configError(`cloud "${name}" requested but no clouds.yaml found (looked in ${files.join(', ')})`);
  const clouds = (readYamlFile(path).clouds ?? {}) as Record<string, CloudEntry>;
  const securePath = candidates('secure', src).find((f) => existsSync(f));
  const secure = securePath ? ((readYamlFile(securePath).clouds ?? {}) as Record<string, CloudEntry>) : {};
  if (!clouds[name] && !secure[name]) throw configError(`cloud "${name}" is not in ${path}`);
  return { entry: deepMerge(clouds[name] ?? {}, secure[name] ?? {}) as CloudEntry, path };
}

const ENV_AUTH: Record<keyof OpenStackAuthOptions, string[]> = {
  auth_url: ['OS_AUTH_URL'],
  username: ['OS_USERNAME'],
  user_id: ['OS_USER_ID'],
  password: ['OS_PASSWORD'],
  project_name: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'],
  project_id: ['OS_PROJECT_ID', 'OS_TENANT_ID'],
  user_domain_name: ['OS_USER_DOMAIN_NAME'],
  user_domain_id: ['OS_USER_DOMAIN_ID'],
  project_domain_name: ['OS_PROJECT_DOMAIN_NAME'],
  project_domain_id: ['OS_PROJECT_DOMAIN_ID'],
  application_credential_id: ['OS_APPLICATION_CREDENTIAL_ID'],
  application_credential_name: ['OS_APPLICATION_CREDENTIAL_NAME'],
  application_credential_secret: ['OS_APPLICATION_CREDENTIAL_SECRET'],
};

function authFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const auth: Record<string, string> = {};
  for (const [key, names] of Object.entries(ENV_AUTH)) {
    const value = names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
    if (value !== undefined) auth[key] = value;
  }
  return auth;
}

function fillSources(s: CloudSources): Required<CloudSources> {
  return { env: s.env ?? process.env, cwd: s.cwd ?? process.cwd(), home: s.home ?? homedir(), etcDir: s.etcDir ?? '/etc/openstack' };
}

/** Keystone's v3 API root from whatever form the operator wrote (bare host, /v3, trailing slash). */
export function keystoneV3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(trimmed)) return trimmed;
  return `${trimmed.replace(/\/v2\.0$/, '')}/v3`;
}

function checkAuth(auth: OpenStackAuthOptions, source: string): AuthMethod {
  const hasUser = Boolean(auth.user_id || auth.username);
  if (auth.application_credential_secret) {
    if (!auth.application_credential_id && !(auth.application_credential_name && hasUser)) {
      throw configError(`${source}: an application credential needs its id, or its name and the user`);
    }
    return 'application_credential';
  }
  if (!auth.password || !hasUser) throw configError(`${source}: password auth needs a user (name or id) and a password`);
  if (!auth.project_id && !auth.project_name) throw configError(`${source}: password auth needs a project (name or id)`);
  return 'password';
}

function asInterface(value: unknown): EndpointInterface | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.replace(/URL$/, '');
  return (INTERFACES as readonly string[]).includes(v) ? (v as EndpointInterface) : undefined;
}

export function resolveCloud(settings: OpenStackSettings, sources: CloudSources = {}): ResolvedCloud {
  const src = fillSources(sources);
  const cloudName = settings.cloud ?? src.env.OS_CLOUD;
  const cloud = cloudName ? findCloudEntry(cloudName, src) : undefined;

  let rawAuth: Record<string, unknown>;
  let source: string;
  if (settings.auth) {
    rawAuth = settings.auth;
    source = 'provider options';
  } else if (cloud) {
    rawAuth = cloud.entry.auth ?? {};
    source = `${cloud.path} (cloud ${cloudName})`;
  } else {
    rawAuth = authFromEnv(src.env);
    source = 'OS_* environment variables';
    if (!rawAuth.auth_url) throw configError('no credentials: set auth in the provider options, a cloud from clouds.yaml, or OS_* variables (OS_AUTH_URL is missing)');
  }
  // clouds.yaml may carry keys stacklab does not need (e.g. auth_type is read below, not here).
  const picked = Object.fromEntries(Object.entries(rawAuth).filter(([k]) => k in ENV_AUTH));
  const parsed = openStackAuthOptions.safeParse(picked);
  if (!parsed.success) throw configError(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const auth = parsed.data;
  const method = checkAuth(auth, source);

  const region = settings.region ?? (cloud?.entry.region_name as string | undefined) ?? (src.env.OS_REGION_NAME || undefined);
  const iface =
    settings.interface ??
    asInterface(cloud?.entry.interface ?? cloud?.entry.endpoint_type) ??
    asInterface(src.env.OS_INTERFACE ?? src.env.OS_ENDPOINT_TYPE) ??
    'public';
  return { source, authUrl: keystoneV3Url(auth.auth_url), method, auth, region, interface: iface };
}
