/**
 * Finds the real Keystone + Heat the integration tests run against (scripts/setup-heat.sh's
 * "openstack in a box"). Under CI, or when STACKLAB_SETUP_HEAT=1, it runs the set-up script when
 * nothing answers; otherwise it returns null and the tests skip (or fail under CI) with a reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IN_CI } from '../support/prerequisite.ts';
import type { OpenStackProviderOptions } from '../../src/providers/openstack/options.ts';

export interface HeatEnv {
  authUrl: string;
  /** The OS_* variables of the state dir's openrc (admin). */
  vars: Record<string, string>;
  stateDir: string;
}

const SCRIPT = new URL('../../scripts/setup-heat.sh', import.meta.url).pathname;

export function stateDirs(): string[] {
  const dirs = [process.env.STATE_DIR, process.env.TMPDIR && join(process.env.TMPDIR, 'openstack-in-a-box'), '/tmp/openstack-in-a-box'];
  return [...new Set(dirs.filter((d): d is string => Boolean(d)))];
}

export function parseOpenrc(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!/^\s*export\s/.test(line)) continue;
    for (const m of line.matchAll(/(OS_[A-Z_]+)=("[^"]*"|'[^']*'|\S+)/g)) vars[m[1]] = m[2].replace(/^["']|["']$/g, '');
  }
  return vars;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { headers: { Connection: 'close' }, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status < 500;
  } catch {
    return false;
  }
}

async function detect(): Promise<HeatEnv | null> {
  for (const stateDir of stateDirs()) {
    const openrc = join(stateDir, 'openrc');
    if (!existsSync(openrc)) continue;
    const vars = parseOpenrc(readFileSync(openrc, 'utf8'));
    if (!vars.OS_AUTH_URL) continue;
    if ((await answers(vars.OS_AUTH_URL)) && (await answers('http://127.0.0.1:8004/'))) return { authUrl: vars.OS_AUTH_URL, vars, stateDir };
  }
  return null;
}

/**
 * What `detect` finds; when it finds nothing under CI (or with `flag`=1), runs the project's set-up
 * `script` once (minutes on a bare machine) and looks again.
 */
export async function detectOrSetUp<T>(detect: () => Promise<T | null>, script: string, flag: string, what: string): Promise<T | null> {
  const found = await detect();
  if (found || !(IN_CI || process.env[flag] === '1')) return found;
  const name = `scripts/${script.split('/').pop()}`;
  console.error(`# no ${what} answering: running ${name} (takes minutes on a bare machine)`);
  const run = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 });
  if (run.status !== 0) throw new Error(`${name} failed with status ${run.status}`);
  return detect();
}

let cached: Promise<HeatEnv | null> | undefined;

export function ensureHeat(): Promise<HeatEnv | null> {
  cached ??= detectOrSetUp(detect, SCRIPT, 'STACKLAB_SETUP_HEAT', 'Keystone + Heat');
  return cached;
}

export const HEAT_MISSING = 'no Keystone + Heat answering on 127.0.0.1 (run scripts/setup-heat.sh as root, or set STACKLAB_SETUP_HEAT=1)';

/** Provider options for the non-admin demo user, explicit auth (what an operator would write). */
export function demoOptions(env: HeatEnv, extra: Partial<OpenStackProviderOptions> = {}): OpenStackProviderOptions {
  return {
    auth: {
      auth_url: env.authUrl,
      username: 'demo',
      password: 'demopass',
      project_name: 'demo',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    region: env.vars.OS_REGION_NAME,
    request_timeout_seconds: 20,
    ...extra,
  };
}

/** Provider options for the cloud's admin (who may offload shelved servers and manage compute services). */
export function adminOptions(env: HeatEnv, extra: Partial<OpenStackProviderOptions> = {}): OpenStackProviderOptions {
  return {
    auth: {
      auth_url: env.authUrl,
      username: 'admin',
      password: env.vars.OS_PASSWORD ?? 'adminpass',
      project_name: 'admin',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    },
    region: env.vars.OS_REGION_NAME,
    request_timeout_seconds: 60,
    ...extra,
  };
}

export function uniqueStackName(tag: string): string {
  return `stacklab-test-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
