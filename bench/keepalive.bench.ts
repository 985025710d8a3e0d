/**
 * Keepalive requests through the whole stack (auth, lookup, compare-and-set update) against a bare
 * fastify route on the same machine in the same run: maximum throughput, then latency at 1,000 req/s.
 */
import { execFile } from 'node:child_process';
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

/** Load from a separate process (bench/load-client.ts) so it does not share the server's event loop. */
async function load(base: string, paths: string[], opts: { rate?: number; method?: 'GET' | 'POST'; duration: number }): Promise<LoadResult> {
  const client = new URL('./load-client.ts', import.meta.url).pathname;
  const args = JSON.stringify({ base, paths, method: opts.method ?? 'POST', duration: opts.duration, rate: opts.rate, token: TOKEN });
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', client, args], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as LoadResult;
}

export async function run(): Promise<BenchResult[]> {
  const backend = (await postgresAvailable()) ? 'postgres' : 'pglite';
  const rt = await testRuntime({ backend, providers: [new FakeProvider('fake')], labs: [testLab()] });
  const learners = 200;
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
    return [
      { name: `bare fastify route, max throughput`, value: bareMax.requests.average, unit: 'req/s' },
      { name: `keepalive (${backend}), max throughput`, value: keepMax.requests.average, unit: 'req/s' },
      { name: 'keepalive / bare throughput', value: ratio, unit: 'ratio', goal: '>= 0.5', met: ratio >= 0.5 },
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
