/**
 * The operator's metrics after real operations: launch, suspend, resume and delete run by the worker
 * through the real store (the fake provider stands in for a cloud; the metrics are under test), then
 * scraped from /metrics with the HTTP latency, outbox, gateway and process series.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { buildApp } from '../../src/http/app.ts';
import { serveMetrics } from '../../src/http/metrics-server.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

const auth = { authorization: 'Bearer test-token-0123456789abcdef' };

/** The sum and count of one labelled histogram series. */
async function series(rt: TestRuntime, labels: Record<string, string>): Promise<{ sum: number; count: number }> {
  await rt.lifecycleMetrics.settled();
  const metric = rt.ctx.metrics.getSingleMetric('stacklab_operation_duration_seconds') as Histogram;
  const { values } = await metric.get();
  const matches = (v: { labels: Record<string, unknown> }) => Object.entries(labels).every(([k, want]) => v.labels[k] === want);
  const sum = values.find((v) => v.metricName === 'stacklab_operation_duration_seconds_sum' && matches(v))?.value ?? 0;
  const count = values.find((v) => v.metricName === 'stacklab_operation_duration_seconds_count' && matches(v))?.value ?? 0;
  return { sum, count };
}

for (const backend of BACKENDS) {
  describe(`lifecycle and operator metrics on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let fake: FakeProvider;
    let app: FastifyInstance;
    before(async () => {
      fake = new FakeProvider('fake');
      rt = await testRuntime({ backend, providers: [fake], labs: [testLab()] });
      app = await buildApp(rt.ctx);
    });
    after(async () => {
      await app?.close();
      await rt?.close();
    });

    test('launch, suspend, resume and delete are timed from the request to the state reached, by provider and lab', async () => {
      const stack = await rt.ctx.stacks.launch({ learner: 'alice', context: 'course-v1:Org+C1+2026', lab: 'demo', actor: 'test' });
      rt.clock.advance(42); // waiting for a worker counts: it is what the learner waits for
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
      assert.deepEqual(await series(rt, { operation: 'launch', provider: 'fake', lab: 'demo', outcome: 'ok' }), { sum: 42, count: 1 });

      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      rt.clock.advance(7);
      await settle(rt);
      assert.deepEqual(await series(rt, { operation: 'suspend', provider: 'fake', lab: 'demo', outcome: 'ok' }), { sum: 7, count: 1 });

      await rt.ctx.stacks.requestResume(stack.id, 'test');
      rt.clock.advance(3);
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
      assert.deepEqual(await series(rt, { operation: 'resume', provider: 'fake', lab: 'demo', outcome: 'ok' }), { sum: 3, count: 1 });

      await rt.ctx.stacks.requestDelete(stack.id, 'test');
      rt.clock.advance(11);
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'DELETED');
      assert.deepEqual(await series(rt, { operation: 'delete', provider: 'fake', lab: 'demo', outcome: 'ok' }), { sum: 11, count: 1 });
    });

    test('a failed launch counts by error code and provider, and its duration by outcome', async () => {
      fake.configure({ fail: ['create'] });
      try {
        const stack = await rt.ctx.stacks.launch({ learner: 'bob', context: 'course-v1:Org+C1+2026', lab: 'demo', actor: 'test' });
        rt.clock.advance(5);
        await settle(rt);
        const failed = await rt.ctx.stacks.get(stack.id);
        assert.equal(failed.state, 'LAUNCH_FAILED');
        assert.ok(failed.errorCode);
        await rt.lifecycleMetrics.settled();
        const text = await rt.ctx.metrics.getSingleMetricAsString('stacklab_operation_failures_total');
        assert.match(text, new RegExp(`stacklab_operation_failures_total\\{operation="launch",provider="fake",code="${failed.errorCode}"\\} 1`));
        assert.deepEqual(await series(rt, { operation: 'launch', provider: 'fake', lab: 'demo', outcome: 'failed' }), { sum: 5, count: 1 });
      } finally {
        fake.configure({ fail: [] });
      }
    });

    test('a launch the watchdog times out counts as a TIMEOUT failure', async () => {
      fake.configure({ never_ready: true });
      // Park the polling worker in a status read (holding no row lock) so the one watchdog sweep acts.
      const original = fake.get.bind(fake);
      let reached!: () => void;
      let release!: () => void;
      const parked = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      fake.get = async (ref) => {
        reached();
        await released;
        return original(ref);
      };
      let carol: string;
      try {
        carol = (await rt.ctx.stacks.launch({ learner: 'carol', context: 'course-v1:Org+C1+2026', lab: 'demo', actor: 'test' })).id;
        await rt.worker.tick();
        await parked;
        rt.clock.advance(901);
        assert.equal((await rt.scheduler.run('watchdog')).acted, 1);
      } finally {
        fake.get = original;
        release();
        fake.configure({ never_ready: false });
      }
      await rt.worker.drain();
      const timedOut = await rt.ctx.stacks.get(carol);
      assert.equal(timedOut.state, 'LAUNCH_FAILED');
      assert.equal(timedOut.errorCode, 'TIMEOUT');
      await rt.lifecycleMetrics.settled();
      const text = await rt.ctx.metrics.getSingleMetricAsString('stacklab_operation_failures_total');
      assert.match(text, /stacklab_operation_failures_total\{operation="launch",provider="fake",code="TIMEOUT"\} 1/);
    });

    test('/metrics shows HTTP latency by route pattern, the grade outbox, gateway sessions and standard process metrics', async () => {
      const [stack] = await rt.ctx.stacks.list({ learner: 'alice' });
      assert.equal((await app.inject({ url: `/api/v1/stacks/${stack!.id}`, headers: auth })).statusCode, 200);
      assert.equal((await app.inject({ url: '/api/v1/stacks/00000000-0000-4000-8000-000000000000', headers: auth })).statusCode, 404);
      await rt.ctx.db.query(
        `INSERT INTO lti_grade_outbox (attempt_id, learner, context, lab, platform, lineitem_url, sub, score, policy, scored_at, status, next_attempt_at, created_at)
         VALUES ('a1', 'alice', 'c', 'demo', 'p', 'https://lms.example/li', 's', 0.5, 'best', $1, 'pending', $1, $1)`,
        [new Date(rt.clock.now().getTime() - 90_000)],
      );
      const scrape = await app.inject({ url: '/metrics', headers: auth });
      assert.equal(scrape.statusCode, 200);
      const text = scrape.body;
      assert.match(text, /http_request_duration_seconds_count\{route="\/api\/v1\/stacks\/:id",method="GET",status_code="200"\} 1/);
      assert.match(text, /http_request_duration_seconds_count\{route="\/api\/v1\/stacks\/:id",method="GET",status_code="404"\} 1/);
      assert.doesNotMatch(text, new RegExp(`route="[^"]*${stack!.id}`), 'a raw URL became a label');
      assert.match(text, /^stacklab_lti_grade_outbox_pending 1$/m);
      const oldest = Number(/^stacklab_lti_grade_outbox_oldest_pending_seconds (\S+)$/m.exec(text)?.[1]);
      assert.equal(oldest, 90);
      assert.match(text, /^stacklab_gateway_sessions\{kind="terminal"\} 0$/m);
      assert.match(text, /^process_cpu_seconds_total \d/m);
      assert.match(text, /^nodejs_heap_size_used_bytes \d/m);
      assert.match(text, /^stacklab_stacks\{state="DELETED"\} 1$/m);

      // The Grafana dashboard in the repo queries only series this server exposes.
      const dashboard = readFileSync('deploy/grafana/stacklab.json', 'utf8');
      const names = new Set([...dashboard.matchAll(/\b([a-z_]+)\{job=~/g)].map((m) => m[1]!));
      assert.ok(names.size >= 10, `only ${names.size} metric names found in the dashboard`);
      for (const name of names) assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), `the dashboard queries ${name}, which /metrics does not show`);
    });

    test('a standalone worker serves the operation metrics it recorded on its own port, behind the metrics token', async () => {
      const server = await serveMetrics(rt.ctx, '127.0.0.1', 0);
      try {
        const url = `http://127.0.0.1:${server.port}/metrics`;
        assert.equal((await fetch(url)).status, 401);
        const scrape = await fetch(url, { headers: auth });
        assert.equal(scrape.status, 200);
        assert.match(await scrape.text(), /^stacklab_operation_duration_seconds_count\{operation="launch",provider="fake",lab="demo",outcome="ok"\} 1$/m);
      } finally {
        await server.close();
      }
    });

    test("a worker's suspend and resume are timed from the claim's reading of the request, without a read of the event log each", async () => {
      const stack = await rt.ctx.stacks.launch({ learner: 'grace', context: 'course-v1:Org+C1+2026', lab: 'demo', actor: 'test' });
      await settle(rt);
      await rt.lifecycleMetrics.settled();
      const before = {
        suspend: await series(rt, { operation: 'suspend', provider: 'fake', lab: 'demo', outcome: 'ok' }),
        resume: await series(rt, { operation: 'resume', provider: 'fake', lab: 'demo', outcome: 'ok' }),
      };
      const db = rt.ctx.db;
      const query = db.query.bind(db);
      let logReads = 0;
      db.query = (sql, params, options) => {
        if (sql.includes('FROM stack_events WHERE stack_id = $1 AND kind')) logReads++;
        return query(sql, params, options);
      };
      try {
        await rt.ctx.stacks.requestSuspend(stack.id, 'test');
        rt.clock.advance(5);
        await settle(rt);
        await rt.ctx.stacks.requestResume(stack.id, 'test');
        rt.clock.advance(2);
        await settle(rt);
        await rt.lifecycleMetrics.settled();
      } finally {
        db.query = query;
      }
      assert.deepEqual(await series(rt, { operation: 'suspend', provider: 'fake', lab: 'demo', outcome: 'ok' }), { sum: before.suspend.sum + 5, count: before.suspend.count + 1 });
      assert.deepEqual(await series(rt, { operation: 'resume', provider: 'fake', lab: 'demo', outcome: 'ok' }), { sum: before.resume.sum + 2, count: before.resume.count + 1 });
      // One statement per operation saved: a class's keepalive-driven suspends and resumes made a tenth of the store's statements.
      assert.equal(logReads, 0);
    });
  });
}
