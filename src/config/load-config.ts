/**
 * Builds the Config from, in order of precedence: explicit overrides, STACKLAB_* env vars, an optional
 * YAML config file (STACKLAB_CONFIG or --config), defaults. Unknown keys are refused with their name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Variables stacklab's tools and tests read that are not server settings (listed in docs/configuration.md). */
export const TOOL_VARIABLES = {
  STACKLAB_CONFIG: 'the YAML config file',
  STACKLAB_URL: '`stacklab stacks ...`: a running server to act through, with its API (like --url)',
  STACKLAB_LXC_DATA_DIR: '`stacklab image build|list`: where the local runtime keeps its images (default /var/lib/stacklab/lxc)',
  STACKLAB_SETUP_HEAT: 'tests: set up Keystone + Heat with scripts/setup-heat.sh when absent',
  STACKLAB_SETUP_OPENSTACK: 'tests: set up Nova, Neutron, Glance and Placement with scripts/setup-openstack.sh when absent',
  STACKLAB_LXC_BUILD_IMAGE: 'tests: build the base image when it is missing',
  STACKLAB_SCREENSHOTS: 'tests: write the lab page screenshots to this folder',
  STACKLAB_TEST_CONCURRENCY: 'tests: test files run at once (default 1)',
  STACKLAB_FROM_SOURCE: 'bin/stacklab.js in a checkout: 1 runs the TypeScript sources through tsx (the test runner sets it), 0 runs dist/ even when older than the sources',
  STACKLAB_TEST_DATABASE_URL: 'tests: the PostgreSQL to test against (default postgres://postgres@127.0.0.1:5432/test)',
  STACKLAB_IMAGE: '`scripts/build-image.sh`, deploy/compose.yaml, test/deploy: the container image (default localhost/stacklab:latest)',
  STACKLAB_IMAGE_SUITE: '`scripts/build-image.sh`: the Debian release of the image (default trixie, the first with Node.js 20)',
  STACKLAB_IMAGE_CACHE: '`scripts/build-image.sh`, `scripts/with-podman.sh`: the debootstrap base and podman settings (default /var/cache/stacklab-image)',
  STACKLAB_IMAGE_BASE_MAX_AGE: '`scripts/build-image.sh`: days the debootstrap base is reused (default 7)',
  STACKLAB_IMAGE_HOST_CA: "`scripts/build-image.sh`: the CA bundle lent to npm during the build (default this machine's; empty: none)",
  STACKLAB_POSTGRES_IMAGE: 'deploy/compose.yaml: the PostgreSQL image (default docker.io/library/postgres:17)',
  STACKLAB_PORT: 'deploy/compose.yaml: the host port serve is published on (default 8080)',
} as const;
const NOT_SETTINGS = new Set(Object.keys(TOOL_VARIABLES));
const KNOWN_ENV = new Set<string>(SETTINGS.map((s) => s.env));

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  file?: string;
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: Config;
  /** Provider entries from the config file (structured), if it has any. */
  providerEntries: unknown[] | null;
  /** LTI platform registrations from the config file, if any (read by lti/). */
  lti: unknown;
}

export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const problems: string[] = [];
  const fileValues: Record<string, unknown> = {};
  let providerEntries: unknown[] | null = null;
  let lti: unknown = undefined;
  const file = sources.file ?? env.STACKLAB_CONFIG;
  if (file) {
    if (!existsSync(file)) throw new ConfigError([`config file ${file} does not exist`]);
    const raw = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError([`${file}: must be a YAML mapping`]);
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'providers' && Array.isArray(value)) providerEntries = value;
      else if (key === 'lti') lti = value;
      else if (SETTINGS.some((s) => s.key === key)) fileValues[key] = value;
      else problems.push(`${file}: unknown key '${key}' (known: ${SETTINGS.map((s) => s.key).join(', ')}, lti)`);
    }
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('STACKLAB_') && !NOT_SETTINGS.has(name) && !KNOWN_ENV.has(name)) {
      problems.push(`unknown environment variable ${name} (see docs/configuration.md)`);
    }
  }
  const config: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = sources.overrides?.[s.key] ?? emptyToUndefined(env[s.env]) ?? fileValues[s.key];
    const parsed = s.schema.safeParse(raw);
    if (parsed.success) config[s.key] = parsed.data;
    else problems.push(`${s.key} (${s.env}): ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { config: config as Config, providerEntries, lti };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
