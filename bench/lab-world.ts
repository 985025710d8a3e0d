/**
 * A whole stacklab for the class-size benchmarks on the local runtime: the real clock, the shipped
 * defaults (poll interval, worker concurrency, pool interval) unless a bench overrides one, PostgreSQL
 * when it answers (else PGlite), the real HTTP server with its gateway, and the lxc provider under a
 * deployment of the bench's own, so the bench sees, and removes, only the containers it made.
 *
 * `close()` deletes every stack through the lifecycle, then removes whatever the provider still lists
 * for the deployment; it runs on SIGINT/SIGTERM too. After a crash of the bench process:
 *
 *   node --import tsx bench/lab-world.ts cleanup <deployment>
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createRuntime, type Runtime } from '../src/app/create-context.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { mapCatalog } from '../src/domain/lab-catalog.ts';
import type { Lab } from '../src/domain/lab.ts';
import { buildApp } from '../src/http/app.ts';
import { issueSession } from '../src/http/session.ts';
import { Keys } from '../src/infra/keys.ts';
import { fillKeyPool } from '../src/providers/lxc/keys.ts';
import { createLxcProvider } from '../src/providers/lxc/provider.ts';
import type { Provider } from '../src/providers/provider.ts';
import { deploymentPrefix } from '../src/providers/stack-names.ts';
import { fillPlatformKeyPool } from '../src/services/platform-key-pair.ts';
import { freshDatabase, postgresAvailable, type TestDatabase } from '../test/support/databases.ts';
import { LXC_DATA_DIR } from '../test/lxc/support.ts';
import { sshExec } from '../test/lxc/ssh.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

export interface LabWorld {
  runtime: Runtime;
  app: FastifyInstance;
  provider: Provider;
  base: string;
  backend: 'postgres' | 'pglite';
  /** A learner's session as the LTI launch issues it (one course, the learner role). */
  session(learner: string, context: string): Promise<string>;
  /** Set when close() began (Ctrl-C, or the bench's end): a bench's loops stop making stacks. */
  readonly stopping: boolean;
  /** Deletes every stack and closes everything; safe to call twice. */
  close(): Promise<void>;
}

export function localProvider(deployment: string): Provider {
  return createLxcProvider('local', { dataDir: LXC_DATA_DIR }, quiet, { deployment });
}

/** Removes every stack the provider lists for the deployment (the bench's own), a few at a time. */
export async function removeProviderStacks(provider: Provider, deployment: string, concurrency = 8): Promise<number> {
  // Only the deployment's own names: the provider also lists stacks from before deployments existed.
  const left = (await provider.list()).filter((s) => s.name.startsWith(deploymentPrefix(deployment)));
  const queue = [...left];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) await provider.delete({ id: s.id, name: s.name }).catch(() => undefined);
    }),
  );
  return left.length;
}

/**
 * `cleanup`: `lifecycle` (default) deletes every stack through stacklab's own deletes; `provider` stops
 * stacklab first and removes the containers straight through the provider, several at a time, which is
 * what hundreds of labs need to be gone within minutes (a hundred lifecycle deletes took ~3 min here).
 */
export async function labWorld(options: { deployment: string; labs: Lab[]; overrides?: Record<string, unknown>; log?: (line: string) => void; cleanup?: 'lifecycle' | 'provider' }): Promise<LabWorld> {
  const log = options.log ?? ((line: string) => console.error(`# ${line}`));
  const provider = localProvider(options.deployment);
  // A long-running server's provider: host network, key pools and the first template load are ready.
  await provider.list();
  const stale = await removeProviderStacks(provider, options.deployment);
  if (stale) log(`removed ${stale} stacks a previous run of deployment ${options.deployment} left`);
  await fillKeyPool();
  await fillPlatformKeyPool();
  const backend = process.env.BENCH_DB === 'pglite' || !(await postgresAvailable()) ? 'pglite' : 'postgres';
  const database: TestDatabase = await freshDatabase(backend);
  const dataDir = mkdtempSync(join(tmpdir(), 'stacklab-bench-'));
  const { config } = loadConfig({
    env: {},
    overrides: { api_token: 'bench-token-0123456789abcdef', data_dir: dataDir, deployment_id: options.deployment, log_level: 'silent', ...options.overrides },
  });
  const runtime = await createRuntime({ config, db: database.db, providers: [provider], labs: mapCatalog(options.labs), keys: Keys.ephemeral(), logger: pino({ level: process.env.BENCH_LOG ?? 'silent' }) });
  const app = await buildApp(runtime.ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  runtime.worker.start();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log('cleaning up: deleting every stack of the bench');
      // First the filler and the sweeps, so nothing launches behind the deletes.
      await runtime.scheduler.stop().catch(() => undefined);
      if (options.cleanup !== 'provider') {
        const stacks = (await runtime.ctx.stacks.list({ limit: 100_000 }).catch(() => [])).filter((s) => s.state !== 'DELETED');
        for (const s of stacks) await runtime.ctx.stacks.requestDelete(s.id, 'bench').catch(() => undefined);
        await Promise.all(stacks.map((s) => runtime.ctx.stacks.waitForState(s.id, ['DELETED'], 600_000).catch(() => undefined)));
      }
      await app.close().catch(() => undefined);
      await runtime.close().catch(() => undefined);
      // The runtime closed its provider: a fresh one removes what the lifecycle left.
      const left = await removeProviderStacks(localProvider(options.deployment), options.deployment, 16);
      if (left) log(`removed ${left} stacks through the provider`);
      await database.drop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    })());
  const onSignal = (signal: string) => {
    log(`${signal}: cleaning up before exit`);
    void close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    runtime,
    app,
    provider,
    base,
    backend,
    get stopping() {
      return closing !== undefined;
    },
    session: (learner, context) => issueSession(runtime.ctx.keys, { learner, context, roles: ['Learner'] }, 7200),
    close,
  };
}

/**
 * Runs a bench client (bench/<script>) in its own process with `plan` on stdin; `onLine` gets each JSON
 * line it prints. Resolves with every line and the client's CPU time (user + system, ms) when it exits.
 */
export function runClient<T>(script: string, plan: unknown, onLine: (line: T) => void = () => {}): Promise<{ lines: T[]; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: T[] = [];
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, i)) as T;
        buffered = buffered.slice(i + 1);
        lines.push(line);
        onLine(line);
      }
    });
    const kill = () => child.kill();
    child.on('error', reject);
    child.on('exit', (code) => {
      process.off('exit', kill);
      if (code !== 0) return reject(new Error(`bench client ${script} exited with ${code}`));
      const cpu = (lines.at(-1) as { cpuMs?: number } | undefined)?.cpuMs ?? NaN;
      resolve({ lines, cpuMs: cpu });
    });
    // A bench that exits (its cleanup after Ctrl-C) stops its client too.
    process.once('exit', kill);
    child.stdin.end(JSON.stringify(plan));
  });
}

/**
 * What systemd in the stack's (first) server says of itself: `running`, or `degraded` when units failed,
 * as when the host's shared inotify instances (fs.inotify.max_user_instances) ran out as it booted.
 */
export async function systemdState(world: LabWorld, stackId: string): Promise<string> {
  const stack = await world.runtime.ctx.stacks.get(stackId);
  const secrets = await world.runtime.ctx.stacks.secrets(stackId);
  try {
    const r = await sshExec({ host: stack.publicIp!, username: 'training', privateKey: secrets.privateKey! }, 'sudo -n systemctl is-system-running', 15_000);
    return r.stdout.trim() || r.stderr.trim();
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

/** The host's figures at one moment: load, memory available, threads, for the bench tables. */
export function hostFigures(): { load1: number; load5: number; memAvailableMiB: number; threads: number; neighbours: number } {
  const [l1, l5, , tasks] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  const mem = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return { load1: Number(l1), load5: Number(l5), memAvailableMiB: Math.round(Number(mem?.[1] ?? 0) / 1024), threads: Number(tasks!.split('/')[1]), neighbours: arpEntries() };
}

/**
 * Entries in the kernel's IPv4 neighbour (ARP) table, one table for every network namespace of the
 * host: capped by net.ipv4.neigh.default.gc_thresh3 (host-check.ts). /proc/net/stat/arp_cache gives
 * the count in hex, the same on each CPU's line.
 */
function arpEntries(): number {
  try {
    const line = readFileSync('/proc/net/stat/arp_cache', 'utf8').split('\n')[1] ?? '';
    return Number.parseInt(line.trim().split(/\s+/)[0] ?? '', 16);
  } catch {
    return NaN;
  }
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** An absolute time (ISO) after which a bench starts no new phase: BENCH_STOP_AT. */
export function pastStopTime(): boolean {
  const at = process.env.BENCH_STOP_AT;
  return at !== undefined && Date.now() >= Date.parse(at);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'cleanup') {
  const deployment = process.argv[3];
  if (!deployment) throw new Error('usage: node --import tsx bench/lab-world.ts cleanup <deployment>');
  console.log(`removed ${await removeProviderStacks(localProvider(deployment), deployment)} stacks of deployment ${deployment}`);
}
