/**
 * `stacklab schedule add|list|remove` on the store (no server running): a class added, listed with its
 * next occurrence, refused for a lab without a pool, removed. Real CLI processes; PostgreSQL when it
 * runs (a CLI process on it starts in a fraction of the embedded store's time), else the embedded store.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freshDatabase, postgresAvailable } from '../support/databases.ts';
import { runCli } from '../support/run-cli.ts';

const data = mkdtempSync(join(tmpdir(), 'schedule-cli-'));
// The sample lab, with a pool section (size 0: only classes fill it), and the plain sample lab beside it.
cpSync('labs/single-server', join(data, 'labs', 'pooled'), { recursive: true });
appendFileSync(join(data, 'labs', 'pooled', 'lab.yaml'), '\npool:\n  size: 0\n');
cpSync('labs/single-server', join(data, 'labs', 'single-server'), { recursive: true });
const database = (await postgresAvailable()) ? await freshDatabase('postgres') : null;
after(async () => {
  await database?.drop();
  rmSync(data, { recursive: true, force: true });
});
const env: NodeJS.ProcessEnv = {
  ...process.env,
  STACKLAB_DATA_DIR: join(data, 'data'),
  STACKLAB_PROVIDERS: JSON.stringify([{ name: 'fake', kind: 'fake', state_dir: join(data, 'fake') }]),
  STACKLAB_LABS_DIR: join(data, 'labs'),
  STACKLAB_LOG_LEVEL: 'silent',
};
delete env.STACKLAB_URL;
delete env.DATABASE_URL;
if (database?.url) env.DATABASE_URL = database.url;

const run = (...args: string[]) => runCli(env, args);

const COURSE = 'course-v1:Org+Cli+2026_T1';

test('stacklab schedule add, list and remove a weekly class; a lab without a pool is refused', async () => {
  const added = await run('schedule', 'add', '--course', COURSE, '--lab', 'pooled', '--start', '2099-09-01T09:00:00Z', '--end', '2099-09-01T11:00:00Z', '--learners', '40', '--lead', '20m', '--weekly-until', '2099-10-01T00:00:00Z');
  assert.equal(added.code, 0, added.stderr);
  const cls = JSON.parse(added.stdout) as { id: string; leadSeconds: number; source: string; next: { start: string } };
  assert.deepEqual([cls.leadSeconds, cls.source, cls.next.start], [1200, 'store', '2099-09-01T09:00:00.000Z']);
  // 09:00 Berlin summer time (07:00Z) on a Tuesday; the fourth week is after the end of summer time.
  const zoned = await run('schedule', 'add', '--course', COURSE, '--lab', 'pooled', '--start', '2099-10-06T07:00:00Z', '--end', '2099-10-06T09:00:00Z', '--learners', '5', '--weekly-until', '2099-11-30T00:00:00Z', '--time-zone', 'Europe/Berlin');
  assert.equal(zoned.code, 0, zoned.stderr);
  assert.equal((JSON.parse(zoned.stdout) as { timeZone: string }).timeZone, 'Europe/Berlin');
  const badZone = await run('schedule', 'add', '--course', COURSE, '--lab', 'pooled', '--start', '2099-10-06T07:00:00Z', '--end', '2099-10-06T09:00:00Z', '--learners', '5', '--time-zone', 'Berlin');
  assert.notEqual(badZone.code, 0);
  assert.match(badZone.stderr, /Berlin is not a time zone/);
  const refused = await run('schedule', 'add', '--course', COURSE, '--lab', 'single-server', '--start', '2099-09-01T09:00:00Z', '--end', '2099-09-01T11:00:00Z', '--learners', '5');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Lab single-server has no warm pool/);
});

test('stacklab schedule list shows the class as a table; remove takes it away', async () => {
  const listed = await run('schedule', 'list', '--course', COURSE, '--json');
  assert.equal(listed.code, 0, listed.stderr);
  const [cls, zoned] = (JSON.parse(listed.stdout) as { classes: Array<{ id: string; lab: string; learners: number; timeZone: string | null }> }).classes;
  assert.deepEqual([cls?.lab, cls?.learners, cls?.timeZone], ['pooled', 40, null]);
  assert.equal(zoned?.timeZone, 'Europe/Berlin');
  const table = await run('schedule', 'list');
  assert.match(table.stdout.split('\n')[0]!, /^ID\s+COURSE\s+LAB\s+NEXT START.*\sTIME ZONE\s/);
  assert.match(table.stdout.split('\n').find((line) => line.includes(cls!.id))!, /\sUTC\s/);
  assert.match(table.stdout.split('\n').find((line) => line.includes(zoned!.id))!, /\sEurope\/Berlin\s/);
  for (const c of [cls!, zoned!]) {
    const removed = await run('schedule', 'remove', c.id);
    assert.equal(removed.code, 0, removed.stderr);
  }
  assert.deepEqual(JSON.parse((await run('schedule', 'list', '--json')).stdout), { classes: [] });
});
