/**
 * Sweep time with 100,000 stacks in PostgreSQL, and the time the suspender and workers take to suspend
 * 1,000 stacks that go idle at once on the fake provider (a 1 s suspend each, like a quick Heat).
 */
import { FakeProvider } from '../src/providers/fake/fake-provider.ts';
import { suspender, reaper, watchdog } from '../src/services/sweeps.ts';
import { postgresAvailable } from '../test/support/databases.ts';
import { testLab, testRuntime } from '../test/support/test-runtime.ts';
import type { BenchResult } from './types.ts';

const SETTINGS = { batch: 1000, deleteAttempts: 3, suspendAttempts: 3, retryBackoff: 30 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function run(): Promise<BenchResult[] | { skipped: string }> {
  if (!(await postgresAvailable())) return { skipped: 'PostgreSQL is not reachable at 127.0.0.1:5432' };
  const results: BenchResult[] = [];
  {
    const rt = await testRuntime({ backend: 'postgres', providers: [new FakeProvider('fake')], labs: [testLab()] });
    try {
      const now = rt.clock.now();
      // 100,000 stacks across every state; every hundredth (all READY: 1,000 of the 50,000 READY) idle.
      await rt.ctx.db.query(
        `INSERT INTO stacks (id, learner, context, lab, state, provider, provider_stack_name, suspend_timeout, delete_age, launch_timeout,
                             last_activity_at, suspend_at, delete_by, state_changed_at, created_at, updated_at)
         SELECT 's' || i, 'learner' || i, 'ctx', 'demo',
                (ARRAY['READY','READY','READY','SUSPENDED','SUSPENDED','DELETED','READY','SUSPENDED','READY','DELETED'])[1 + i % 10],
                'fake', 'stacklab-s' || i || '-1', 120, 1209600, 900,
                -- Idle means no activity for an hour as well as a review time passed: a stack whose review
                -- time passed while it was in use is only reviewed, not moved (domain/policy.ts).
                CASE WHEN i % 100 = 0 THEN $1::timestamptz - interval '1 hour' ELSE $1::timestamptz END,
                CASE WHEN i % 100 = 0 THEN $1::timestamptz - interval '1 hour' ELSE $1::timestamptz + interval '1 hour' END,
                $1::timestamptz + interval '14 days', $1, $1, $1
         FROM generate_series(1, 100000) AS i`,
        [now],
      );
      await rt.ctx.db.query('ANALYZE stacks');
      const sweeps = [];
      for (let i = 0; i < 7; i++) sweeps.push(await suspender(rt.store, now, SETTINGS)); // first run moves the idle ones, the rest find none
      const moved = sweeps[0]!.acted;
      const idle = sweeps.map((s) => s.ms);
      const first = idle.shift()!;
      const reap: number[] = [];
      const dog: number[] = [];
      for (let i = 0; i < 5; i++) {
        reap.push((await reaper(rt.store, now, SETTINGS)).ms);
        dog.push((await watchdog(rt.store, now, SETTINGS)).ms);
      }
      results.push(
        { name: `suspender sweep, 100k stacks, ${moved.toLocaleString('en')} idle to move`, value: first, unit: 'ms', goal: '< 50', met: first < 50 },
        { name: 'suspender sweep, 100k stacks, nothing to do (median)', value: median(idle), unit: 'ms', goal: '< 50', met: median(idle) < 50 },
        { name: 'reaper sweep, 100k stacks (median)', value: median(reap), unit: 'ms', goal: '< 50', met: median(reap) < 50 },
        { name: 'watchdog sweep, 100k stacks (median)', value: median(dog), unit: 'ms', goal: '< 50', met: median(dog) < 50 },
      );
    } finally {
      await rt.close();
    }
  }
  {
    const fake = new FakeProvider('fake', { delay_ms: 1000 });
    const rt = await testRuntime({ backend: 'postgres', providers: [fake], labs: [testLab()], overrides: { poll_interval: 0.5, worker_concurrency: 500 } });
    try {
      const N = 1000;
      for (let i = 0; i < N; i++) await fake.create({ name: `stacklab-b${i}-1`, template: 'x', parameters: {}, timeoutSeconds: 60 });
      const now = new Date();
      await rt.ctx.db.query(
        `INSERT INTO stacks (id, learner, context, lab, state, provider, provider_stack_id, provider_stack_name, suspend_timeout, delete_age, launch_timeout,
                             last_activity_at, suspend_at, delete_by, state_changed_at, created_at, updated_at)
         SELECT 'b' || i, 'learner' || i, 'ctx', 'demo', 'READY', 'fake', 'fake-stacklab-b' || i || '-1', 'stacklab-b' || i || '-1', 120, 1209600, 900,
                $1::timestamptz - interval '120 seconds', $1, $1::timestamptz + interval '14 days', $1, $1, $1
         FROM generate_series(0, ${N - 1}) AS i`,
        [now],
      );
      // Every stack's suspend timeout ran out at `now`; the suspender runs every 10 s (the default).
      const started = Date.now();
      Object.assign(rt.clock, { now: () => new Date() }); // real time from here on
      rt.worker.start();
      const tick = setInterval(() => void rt.scheduler.run('suspender'), 10_000);
      await new Promise((r) => setTimeout(r, Math.random() * 10_000)); // the sweep's phase is arbitrary
      await rt.scheduler.run('suspender');
      for (;;) {
        const counts = await rt.store.countByState();
        if ((counts.SUSPENDED ?? 0) === N) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      clearInterval(tick);
      const seconds = (Date.now() - started) / 1000;
      results.push({
        name: '1,000 stacks idle at once: all SUSPENDED after (s past the timeout)',
        value: seconds,
        unit: 's',
        goal: '<= 30',
        met: seconds <= 30,
        note: 'fake provider, 1 s per suspend; hastexo defaults: 4 per minute = 250 min',
      });
    } finally {
      await rt.close();
    }
  }
  return results;
}
