/**
 * The console's stack list at 100,000 stacks in PostgreSQL (docs/console.md): p95 of the list query
 * (db/console-queries.ts, the SQL behind GET /console/api/stacks) for each filter and sort the page offers,
 * on the first page and deep in the list by keyset cursor; against the baseline of the service API's
 * OFFSET paging (StackStore.list) at the same depth, measured in the same run.
 */
import { ConsoleQueries, encodeCursor, type ConsoleFilter } from '../src/db/console-queries.ts';
import { FakeProvider } from '../src/providers/fake/fake-provider.ts';
import { postgresAvailable } from '../test/support/databases.ts';
import { testLab, testRuntime } from '../test/support/test-runtime.ts';
import type { BenchResult } from './types.ts';

const STACKS = 100_000;
const ROUNDS = 40;
const GOAL_MS = 100;

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function run(): Promise<BenchResult[] | { skipped: string }> {
  if (!(await postgresAvailable())) return { skipped: 'PostgreSQL is not reachable at 127.0.0.1:5432' };
  const rt = await testRuntime({ backend: 'postgres', providers: [new FakeProvider('fake')], labs: [testLab()] });
  try {
    const now = rt.clock.now();
    // 100,000 stacks: 50 labs, 400 courses, 3 providers, every common state, created over 90 days (to the
    // millisecond, as the services write them).
    await rt.ctx.db.query(
      `INSERT INTO stacks (id, learner, context, lab, state, provider, provider_stack_name, suspend_timeout, delete_age, launch_timeout,
                           last_activity_at, delete_by, state_changed_at, created_at, updated_at)
       SELECT 's' || i, 'learner' || lpad((i * 7919 % ${STACKS})::text, 6, '0'), 'course-' || (i % 400), 'lab-' || (i % 50),
              (ARRAY['READY','READY','SUSPENDED','SUSPENDED','SUSPENDED','DELETED','DELETED','LAUNCH_FAILED','CREATING','SHELVED'])[1 + (i * 31) % 10],
              (ARRAY['heat-a','heat-b','local'])[1 + i % 3], 'stacklab-s' || i || '-1', 120, 1209600, 900,
              t, t + interval '14 days', t + (i % 977) * interval '1 second', t, t
         FROM generate_series(1, ${STACKS}) AS i,
              LATERAL (SELECT date_trunc('milliseconds', $1::timestamptz - (i * 77.777) * interval '1 second') AS t) AS times`,
      [now],
    );
    await rt.ctx.db.query('ANALYZE stacks');
    const queries = new ConsoleQueries(rt.ctx.db);
    const base: ConsoleFilter = { sort: 'created', order: 'desc', limit: 50 };
    // Cursors half-way down each order, as an operator paging far would hold them.
    const deep = async (sort: 'created' | 'learner') => {
      const [row] = await rt.ctx.db.query<{ id: string; v: string }>(
        sort === 'created'
          ? `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS v FROM stacks ORDER BY created_at DESC, id DESC OFFSET ${STACKS / 2} LIMIT 1`
          : `SELECT id, learner AS v FROM stacks ORDER BY learner COLLATE "C", id OFFSET ${STACKS / 2} LIMIT 1`,
      );
      return encodeCursor(row!.v, row!.id);
    };
    const deepCreated = await deep('created');
    const deepLearner = await deep('learner');
    for (const after of [deepCreated, deepLearner]) {
      const page = await queries.list({ ...base, sort: after === deepCreated ? 'created' : 'learner', order: after === deepCreated ? 'desc' : 'asc', after });
      if (page.stacks.length !== 50) throw new Error(`a deep cursor found ${page.stacks.length} stacks instead of 50: the benchmark would time an empty page`);
    }
    const cases: [string, (i: number) => ConsoleFilter][] = [
      ['newest first, page 1', () => base],
      ['newest first, page 1,001 (keyset cursor)', () => ({ ...base, after: deepCreated })],
      ['lab filter', (i) => ({ ...base, lab: `lab-${i % 50}` })],
      ['course filter', (i) => ({ ...base, context: `course-${(i * 13) % 400}` })],
      ['state READY', () => ({ ...base, state: ['READY'] })],
      ['failed states (6)', () => ({ ...base, state: ['LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED', 'SHELVE_FAILED', 'UNSHELVE_FAILED'] })],
      ['provider + state', (i) => ({ ...base, provider: ['heat-a', 'heat-b', 'local'][i % 3], state: ['SUSPENDED'] })],
      ['learner prefix search', (i) => ({ ...base, q: `learner0${String(i % 100).padStart(2, '0')}` })],
      ['exact learner', (i) => ({ ...base, learner: `learner${String((i * 7919) % STACKS).padStart(6, '0')}` })],
      ['sort by learner, half-way (keyset cursor)', () => ({ ...base, sort: 'learner', order: 'asc', after: deepLearner })],
      ['sort by state change, lab filter', (i) => ({ ...base, sort: 'changed', lab: `lab-${i % 50}` })],
    ];
    const results: BenchResult[] = [];
    const all: number[] = [];
    for (const [name, filter] of cases) {
      await queries.list(filter(0)); // warm
      const times: number[] = [];
      for (let i = 1; i <= ROUNDS; i++) times.push(await timed(() => queries.list(filter(i))));
      all.push(...times);
      results.push({ name: `console list: ${name}`, value: p95(times), unit: 'ms p95', goal: `< ${GOAL_MS}`, met: p95(times) < GOAL_MS });
    }
    const keyset = p95(all);
    const offset: number[] = [];
    await rt.store.list({ limit: 50, offset: STACKS / 2 });
    for (let i = 0; i < ROUNDS; i++) offset.push(await timed(() => rt.store.list({ limit: 50, offset: STACKS / 2 })));
    results.push(
      { name: `console list, all ${cases.length} cases together`, value: keyset, unit: 'ms p95', goal: `< ${GOAL_MS}`, met: keyset < GOAL_MS },
      { name: 'baseline: service API OFFSET paging, page 1,001', value: p95(offset), unit: 'ms p95' },
      { name: 'keyset page 1,001 faster than OFFSET page 1,001 by', value: p95(offset) / results[1]!.value, unit: 'x' },
    );
    return results;
  } finally {
    await rt.close();
  }
}
