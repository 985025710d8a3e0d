/**
 * `stacklab usage` and `stacklab cost-report` on the embedded store (no server running): a course limit,
 * an extension, the budget, and the report as CSV. Real CLI processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/run-cli.ts';

const data = mkdtempSync(join(tmpdir(), 'usage-cli-'));
after(() => rmSync(data, { recursive: true, force: true }));
const env: NodeJS.ProcessEnv = { ...process.env, STACKLAB_DATA_DIR: data, STACKLAB_PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'fake', state_dir: join(data, 'fake') }]), STACKLAB_LABS_DIR: 'labs', STACKLAB_LOG_LEVEL: 'silent' };
delete env.STACKLAB_URL;
delete env.DATABASE_URL;

const run = (...args: string[]) => runCli(env, args);

const key = ['--learner', 'ada', '--context', 'course-1', '--lab', 'single-server'];

test('stacklab usage: a course limit, an extension by duration, and the budget they make', async () => {
  const limit = await run('usage', 'limit', '--context', 'course-1', '--lab', 'single-server', '--time', '10h', '--mode', 'block');
  assert.equal(limit.code, 0, limit.stderr);
  const extend = await run('usage', 'extend', ...key, '--add', '1h30m', '--note', 'retake');
  assert.equal(extend.code, 0, extend.stderr);
  const show = await run('usage', 'show', ...key);
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout);
  assert.equal(shown.source, 'course');
  assert.deepEqual(shown.status, { mode: 'block', budgetSeconds: 10 * 3600 + 5400, usedSeconds: 0, leftSeconds: 10 * 3600 + 5400, exhausted: false });
  assert.equal(shown.extensions[0].note, 'retake');
  const bad = await run('usage', 'extend', ...key, '--add', 'soon');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /'soon' is not a duration/);
});

test('stacklab cost-report writes CSV, and refuses a month that is not YYYY-MM', async () => {
  const out = join(data, 'report.csv');
  const csv = await run('cost-report', '--from', '2026-01', '--format', 'csv', '--out', out);
  assert.equal(csv.code, 0, csv.stderr);
  assert.match(readFileSync(out, 'utf8'), /^month,context,lab,learner,provider,learning_hours/);
  const bad = await run('cost-report', '--from', 'January');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /from must be a month as YYYY-MM/);
});
