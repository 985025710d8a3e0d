/**
 * Start-up of the command and of the server, from the build (`npm run build`, what `npm start` and an
 * installed package run) against the TypeScript sources through tsx (what ran before the build existed),
 * alternating in the same run: `stacklab --help`, and `stacklab serve --demo` to its first /healthz answer on
 * the embedded store, both on a store left by an earlier start (warm) and on an empty data folder (cold:
 * PGlite creates its database first). A PGlite open alone, in a bare process, shows how much of a start is
 * the embedded store's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/free-port.ts';
import type { BenchResult } from './types.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/stacklab.js');
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
const LIMIT_MS = 120_000;

type Mode = 'build' | 'source';

function envFor(mode: Mode, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  // Explicit both ways: a source file edited during the run must not turn the build's runs into source runs.
  env.STACKLAB_FROM_SOURCE = mode === 'source' ? '1' : '0';
  return env;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeHelp(mode: Mode): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [BIN, '--help'], { env: envFor(mode), encoding: 'utf8', timeout: LIMIT_MS });
  if (run.status !== 0) throw new Error(`stacklab --help (${mode}) exited ${run.status}: ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

/** Seconds from spawning `serve --demo` to its first 200 on /healthz; the server is stopped after. */
async function timeServe(mode: Mode, dataDir: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--demo'], { env: envFor(mode, { STACKLAB_DATA_DIR: dataDir, PORT: String(port), STACKLAB_LOG_LEVEL: 'warn' }), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve (${mode}) exited ${child.exitCode} before /healthz: ${stderr}`);
      if (performance.now() - started > LIMIT_MS) throw new Error(`serve (${mode}) did not answer /healthz in ${LIMIT_MS / 1000} s: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (ok) return (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Seconds a bare process takes to import PGlite and open a store in `dataDir` (created when empty). */
function timePglite(dataDir: string): number {
  const script = `const t=performance.now();const {PGlite}=await import('@electric-sql/pglite');const db=await PGlite.create(${JSON.stringify(dataDir)});await db.query('select 1');await db.close();console.log((performance.now()-t)/1000)`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: LIMIT_MS });
  if (run.status !== 0) throw new Error(`PGlite open failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

function pair(name: string, build: number[], source: number[], goal?: { seconds: number }): BenchResult[] {
  const b = median(build);
  const s = median(source);
  return [
    { name: `${name}: build (median of ${build.length})`, value: b, unit: 's', ...(goal ? { goal: `< ${goal.seconds} s`, met: b < goal.seconds } : {}), note: `runs ${build.map((x) => x.toFixed(2)).join(' ')}` },
    { name: `${name}: sources through tsx (baseline)`, value: s, unit: 's', note: `runs ${source.map((x) => x.toFixed(2)).join(' ')}` },
    { name: `${name}: build / sources`, value: b / s, unit: 'ratio' },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const load = loadavg()[0];
  const buildStarted = performance.now();
  const built = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build.ts')], { cwd: ROOT, encoding: 'utf8', timeout: LIMIT_MS });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
  results.push({ name: 'npm run build', value: (performance.now() - buildStarted) / 1000, unit: 's' });

  const help: Record<Mode, number[]> = { build: [], source: [] };
  for (let i = 0; i < ROUNDS; i++) for (const mode of ['build', 'source'] as const) help[mode].push(timeHelp(mode));
  results.push(...pair('stacklab --help', help.build, help.source, { seconds: 0.5 }));

  const scratch = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    const warm: Record<Mode, number[]> = { build: [], source: [] };
    const cold: Record<Mode, number[]> = { build: [], source: [] };
    const warmDir = join(scratch, 'warm');
    await timeServe('build', warmDir); // creates the store the warm starts reopen
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of ['build', 'source'] as const) {
        warm[mode].push(await timeServe(mode, warmDir));
        cold[mode].push(await timeServe(mode, join(scratch, `cold-${mode}-${i}`)));
      }
    }
    results.push(...pair('serve --demo to /healthz, existing store', warm.build, warm.source, { seconds: 3 }));
    results.push(...pair('serve --demo to /healthz, empty data folder', cold.build, cold.source, { seconds: 3 }));

    const pgWarm: number[] = [];
    const pgCold: number[] = [];
    const pgDir = join(scratch, 'pglite-warm');
    timePglite(pgDir);
    for (let i = 0; i < ROUNDS; i++) {
      pgWarm.push(timePglite(pgDir));
      pgCold.push(timePglite(join(scratch, `pglite-cold-${i}`)));
    }
    results.push({ name: 'PGlite alone: import + open existing store', value: median(pgWarm), unit: 's', note: `share of the warm build start ${(median(pgWarm) / median(warm.build)).toFixed(2)}` });
    results.push({ name: 'PGlite alone: import + create store (initdb)', value: median(pgCold), unit: 's', note: `share of the cold build start ${(median(pgCold) / median(cold.build)).toFixed(2)}` });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  results.push({ name: 'load average (1 min) at the start', value: load, unit: '' });
  return results;
}
