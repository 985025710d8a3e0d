/**
 * Keepalive requests through the whole stack (auth, the ready-stack cache, the batched heap-only write)
 * against a bare fastify route on the same machine in the same run: maximum throughput, then latency at
 * 1,000 req/s. The keepalives cycle over 1,000 learners' stacks, all in the cache after their first
 * keepalive, as a server's stacks in use are; each is still written to PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import fastify from 'fastify';
import pino from 'pino';
import { buildApp } from '../src/http/app.ts';
import { FakeProvider } from '../src/providers/fake/fake-provider.ts';
import { postgresAvailable } from '../test/support/databases.ts';
import { settle, testLab, testRuntime } from '../test/support/test-runtime.ts';
import type { BenchResult } from './types.ts';

const TOKEN = 'test-token-0123456789abcdef';

interface LoadResult {
  requests: { average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}

interface CpuCost {
  /** CPU microseconds per request spent by this (the server's) process. */
  server: number;
  /** CPU microseconds per request spent by all PostgreSQL processes on the machine. */
  postgres: number;
}

/** CPU seconds used so far by every process named `postgres` (backends, WAL writer, ...), from /proc. */
function postgresCpuSeconds(): number {
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/**
 * Load from a separate process (bench/load-client.ts) so it does not share the server's event loop.
 * CPU time per request is measured alongside: unlike throughput, it hardly moves with other work on
 * the machine, so it shows where a keepalive's cost goes.
 */
async function load(base: string, paths: string[], opts: { rate?: number; method?: 'GET' | 'POST'; duration: number }): Promise<LoadResult & { cpu: CpuCost }> {
  const client = new URL('./load-client.ts', import.meta.url).pathname;
  const args = JSON.stringify({ base, paths, method: opts.method ?? 'POST', duration: opts.duration, rate: opts.rate, token: TOKEN });
  const server0 = process.cpuUsage();
  const postgres0 = postgresCpuSeconds();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', client, args], { maxBuffer: 64 * 1024 * 1024 });
  const server = process.cpuUsage(server0);
  const result = JSON.parse(stdout) as LoadResult;
  const requests = result.requests.average * opts.duration;
  const cpu = { server: (server.user + server.system) / requests, postgres: ((postgresCpuSeconds() - postgres0) * 1e6) / requests };
  return { ...result, cpu };
}

export async function run(): Promise<BenchResult[]> {
  const backend = (await postgresAvailable()) ? 'postgres' : 'pglite';
  const rt = await testRuntime({ backend, providers: [new FakeProvider('fake')], labs: [testLab()] });
  const learners = 1000;
  for (let i = 0; i < learners; i++) await rt.ctx.stacks.launch({ learner: `l${i}`, context: 'c', lab: 'demo', actor: 'bench' });
  await settle(rt);
  const ids = (await rt.ctx.stacks.list({ limit: 1000 })).map((s) => s.id);
  const app = await buildApp({ ...rt.ctx, logger: pino({ level: 'silent' }) });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const bare = fastify();
  bare.post('/bare', async () => ({ state: 'READY' }));
  const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });
  try {
    // Each request is one learner's keepalive: the paths cycle over every stack, as real traffic would.
    const paths = ids.map((id) => `/api/v1/stacks/${id}/keepalive`);
    await load(base, paths, { duration: 2 }); // warm-up
    const bareMax = await load(bareBase, ['/bare'], { duration: 8 });
    const keepMax = await load(base, paths, { duration: 8 });
    const keepAt1k = await load(base, paths, { duration: 10, rate: 1000 });
    const bareAt1k = await load(bareBase, ['/bare'], { duration: 10, rate: 1000 });
    const ratio = keepMax.requests.average / bareMax.requests.average;
    await rt.ctx.stacks.activityLedger.drain();
    const { fromCache, waited, writes } = rt.ctx.stacks.activityLedger.counts;
    return [
      { name: `bare fastify route, max throughput`, value: bareMax.requests.average, unit: 'req/s' },
      { name: `keepalive (${backend}), max throughput`, value: keepMax.requests.average, unit: 'req/s' },
      { name: 'keepalive / bare throughput', value: ratio, unit: 'ratio', goal: '>= 0.5', met: ratio >= 0.5 },
      { name: 'bare route: server CPU per request', value: bareMax.cpu.server, unit: 'us' },
      { name: 'keepalive: server CPU per request', value: keepMax.cpu.server, unit: 'us' },
      { name: 'keepalive: PostgreSQL CPU per request', value: keepMax.cpu.postgres, unit: 'us', note: `other PostgreSQL work during the bare phase: ${Math.max(0, bareMax.cpu.postgres).toFixed(0)} us per request` },
      {
        name: 'keepalives answered from the cache',
        value: (fromCache / (fromCache + waited)) * 100,
        unit: '%',
        note: `${waited} waited for their write; ${((fromCache + waited) / writes).toFixed(0)} keepalives a statement`,
      },
      { name: 'keepalive at 1,000 req/s: achieved', value: keepAt1k.requests.average, unit: 'req/s', note: `${keepAt1k.non2xx} non-2xx, ${keepAt1k.errors} errors` },
      { name: 'keepalive at 1,000 req/s: p99 latency', value: keepAt1k.latency.p99, unit: 'ms', goal: '< 20', met: keepAt1k.latency.p99 < 20 },
      { name: 'bare route at 1,000 req/s: p99 latency', value: bareAt1k.latency.p99, unit: 'ms' },
    ];
  } finally {
    await app.close();
    await bare.close();
    await rt.close();
  }
}
