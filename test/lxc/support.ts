/**
 * Shared set-up for the lxc tests and bench: the prerequisite check (root + lxc + a built image;
 * under CI the image is built beforehand by `stacklab image build debian-12`, or by the test if
 * STACKLAB_LXC_BUILD_IMAGE=1), a provider on the test data dir, and waiting for a stack.
 * The tests are one deployment (`LXC_TEST_DEPLOYMENT`): its stacks and containers live in `LXC_HOME`.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Provider, ProviderStack, StackRef } from '../../src/providers/provider.ts';
import { createLxcProvider, deploymentDir } from '../../src/providers/lxc/provider.ts';
import { deploymentPrefix } from '../../src/providers/stack-names.ts';
import { checkLxcHost } from '../../src/providers/lxc/host-check.ts';
import { buildImage, isImageBuilt } from '../../src/providers/lxc/images.ts';
import { parseLxcOptions, type LxcProviderOptions } from '../../src/providers/lxc/options.ts';

export const LXC_DATA_DIR = process.env.STACKLAB_LXC_DATA_DIR ?? '/var/lib/stacklab/lxc';
export const LXC_TEST_DEPLOYMENT = 'lxctests';
/** The test deployment's own folder: its state files (`stacks/`) and containers (`containers/`). */
export const LXC_HOME = deploymentDir(parseLxcOptions({ dataDir: LXC_DATA_DIR }), LXC_TEST_DEPLOYMENT);
export const REPO = new URL('../../', import.meta.url).pathname;

export function labTemplate(lab: string): string {
  return readFileSync(join(REPO, 'labs', lab, 'template.yaml'), 'utf8');
}

/** Why the lxc tests cannot run here, or null when they can. */
export async function lxcMissing(): Promise<string | null> {
  const check = await checkLxcHost();
  if (!check.ok) return check.reason;
  const settings = parseLxcOptions({ dataDir: LXC_DATA_DIR });
  if (!isImageBuilt(settings, 'debian-12')) {
    if (process.env.STACKLAB_LXC_BUILD_IMAGE === '1') {
      await buildImage(settings, 'debian-12', { onProgress: (l) => console.error(`# image: ${l}`) });
      return null;
    }
    return `the debian-12 image is not built under ${LXC_DATA_DIR}; run "stacklab image build debian-12" (or set STACKLAB_LXC_BUILD_IMAGE=1)`;
  }
  return null;
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

export function testProvider(options: LxcProviderOptions = {}, deployment = LXC_TEST_DEPLOYMENT): Provider {
  return createLxcProvider('local', { dataDir: LXC_DATA_DIR, ...options }, quiet, { deployment });
}

export function uniqueName(label: string, deployment = LXC_TEST_DEPLOYMENT): string {
  return `${deploymentPrefix(deployment)}t${label}${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
}

export async function waitFor(provider: Provider, ref: StackRef, action: string, timeoutMs = 100_000): Promise<ProviderStack> {
  const start = Date.now();
  for (;;) {
    const s = await provider.get(ref);
    if (s && s.action === action && s.status !== 'IN_PROGRESS') return s;
    if (Date.now() - start > timeoutMs) throw new Error(`stack ${ref.name} not done with ${action} after ${timeoutMs} ms: ${JSON.stringify(s && { action: s.action, status: s.status, reason: s.reason })}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Everything on the host that still carries the stack's prefix; empty when delete left nothing. */
export async function leftovers(shortId: string, stackName: string, publicIps: string[] = [], home = LXC_HOME): Promise<string[]> {
  const { execFileSync } = await import('node:child_process');
  const { existsSync, readdirSync } = await import('node:fs');
  const prefix = `sl${shortId}`;
  const found: string[] = [];
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' });
    } catch {
      return '';
    }
  };
  for (const l of sh('ip', ['-o', 'link', 'show']).split('\n')) {
    const n = l.split(': ')[1]?.split('@')[0];
    if (n?.startsWith(prefix)) found.push(`link ${n}`);
  }
  for (const n of sh('ip', ['netns', 'list']).split('\n')) if (n.startsWith(prefix)) found.push(`netns ${n.split(' ')[0]}`);
  for (const m of readFileSync('/proc/mounts', 'utf8').split('\n')) if (m.includes(`/${prefix}`)) found.push(`mount ${m.split(' ')[1]}`);
  for (const c of readdirSync(join(home, 'containers'))) if (c.startsWith(prefix)) found.push(`container dir ${c}`);
  for (const ctl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctl);
    for (const g of existsSync(dir) ? readdirSync(dir) : []) if (g.includes(`.${prefix}`)) found.push(`cgroup ${ctl}/${g}`);
  }
  if (sh('lxc-ls', ['-P', join(home, 'containers')]).includes(prefix)) found.push('lxc-ls lists a container');
  for (const kind of ['ip', 'id', 'zone']) {
    const dir = join(LXC_DATA_DIR, 'reservations', kind);
    for (const f of existsSync(dir) ? readdirSync(dir) : []) if (readFileSync(join(dir, f), 'utf8') === stackName) found.push(`reservation ${kind}/${f}`);
  }
  // A table of its own (before the dispatch tables), or chains, sets and map elements in its deployment's
  // (every name of a stack's starts with its prefix: its interfaces, chains and sets).
  if (sh('nft', ['list', 'tables']).includes(prefix)) found.push('nft table');
  let table = '';
  for (const l of sh('nft', ['list', 'ruleset']).split('\n')) {
    table = /^table \w+ (\S+) \{/.exec(l)?.[1] ?? table;
    if (table.startsWith('stacklab_') && l.includes(prefix)) found.push(`nft ${table}: ${l.trim()}`);
  }
  if (sh('nft', ['list', 'set', 'inet', 'stacklab', 'lab_bridges']).includes(`"${prefix}`)) found.push('nft lab_bridges element');
  const internetSet = sh('nft', ['list', 'set', 'inet', 'stacklab', 'internet']);
  for (const ip of publicIps) if (new RegExp(`\\b${ip.replace(/\./g, '\\.')}\\b`).test(internetSet)) found.push(`nft internet element ${ip}`);
  if (existsSync(join(home, 'stacks', `${stackName}.json`))) found.push('state file');
  return found;
}

/** The stack's state file (plan, short id), read while the stack exists. */
export function stackState(name: string, home = LXC_HOME): { shortId: string; plan: { servers: { container: string; resource: string; nics: { ip: string; mac: string }[] }[]; publicIps: string[]; routers: { netns: string }[] } } {
  return JSON.parse(readFileSync(join(home, 'stacks', `${name}.json`), 'utf8'));
}

/** Whether a TCP connection from this host to host:port opens within `timeoutMs` (refused or silent: false). */
export function tcpConnects(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}
