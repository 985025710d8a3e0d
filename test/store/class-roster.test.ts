/**
 * The class roster's SQL (services/class-roster.ts) and the recordings' (recordings/recording-store.ts)
 * on both databases: time used is the sum of the READY spells from the history (the open one up to now),
 * the best score is the best completed check of that learner and lab in that course, other courses are
 * not listed; the retention sweep removes old recordings and their files only.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/infra/clock.ts';
import { Recordings } from '../../src/recordings/recordings.ts';
import { classRoster } from '../../src/services/class-roster.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();
const T0 = new Date('2026-12-01T09:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

for (const backend of BACKENDS) {
  describe(`class roster and recordings on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    let t: TestDatabase;
    const dir = mkdtempSync(join(tmpdir(), 'stacklab-recordings-'));
    before(async () => {
      t = await freshDatabase(backend);
    });
    after(async () => {
      await t?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('time used, best score, one course only', async () => {
      const stack = (id: string, learner: string, context: string, state: string) =>
        t.db.query(
          `INSERT INTO stacks (id, learner, context, lab, state, provider_stack_name, suspend_timeout, delete_age, launch_timeout, last_activity_at, state_changed_at, created_at, updated_at)
           VALUES ($1, $2, $3, 'shell', $4, 'stacklab-' || $1, 120, 3600, 900, $5, $5, $5, $5)`,
          [id, learner, context, state, T0],
        );
      // A legal history (migration 006 checks each entry follows the one before).
      const history = (stackId: string, steps: Array<[string, number]>) =>
        steps.reduce<Promise<unknown>>(
          (previous, [to, m], i) => previous.then(() => t.db.query(`INSERT INTO stack_events (stack_id, from_state, to_state, reason, actor, at) VALUES ($1, $2, $3, 'test', 'test', $4)`, [stackId, i ? steps[i - 1][0] : null, to, at(m)])),
          Promise.resolve(),
        );
      await stack('s-ann', 'ann', 'course-1', 'READY');
      await stack('s-bob', 'bob', 'course-1', 'SUSPENDED');
      await stack('s-eve', 'eve', 'course-2', 'READY');
      const launch: Array<[string, number]> = [['LAUNCH_PENDING', -2], ['CREATING', -1], ['READY', 0]];
      // Ann: READY 0-10, suspending and suspended 10-20, READY again from 21 (still, at 50): 10 + 29 minutes.
      await history('s-ann', [...launch, ['SUSPEND_PENDING', 10], ['SUSPENDING', 10], ['SUSPENDED', 11], ['RESUME_PENDING', 20], ['RESUMING', 20], ['READY', 21]]);
      // Bob: READY 0-5, then suspended.
      await history('s-bob', [...launch, ['SUSPEND_PENDING', 5], ['SUSPENDING', 5], ['SUSPENDED', 6]]);
      await history('s-eve', launch);
      // Names and roles come from the LTI launches: Ann launched with a name, Tess as course staff.
      await stack('s-tess', 'tess', 'course-1', 'READY');
      await history('s-tess', launch);
      const ltiLaunch = (learner: string, name: string, staff: boolean) =>
        t.db.query(`INSERT INTO lti_launches (learner, context, lab, platform, deployment_id, sub, updated_at, display_name, staff) VALUES ($1, 'course-1', 'shell', 'openedx', '1', $1, now(), $2, $3)`, [learner, name, staff]);
      await ltiLaunch('ann', 'Ann Lovelace', false);
      await ltiLaunch('tess', 'Tess Teacher', true);
      const run = (id: string, learner: string, context: string, status: string, score: number | null) =>
        t.db.query(`INSERT INTO check_runs (id, stack_id, learner, context, lab, status, actor, started_at, deadline, score) VALUES ($1, 's-' || $2, $2, $3, 'shell', $4, 'test', $5, $5, $6)`, [id, learner, context, status, at(1), score]);
      await run('r1', 'ann', 'course-1', 'completed', 0.25);
      await run('r2', 'ann', 'course-1', 'completed', 0.75);
      await run('r3', 'ann', 'course-1', 'error', null);
      await run('r4', 'ann', 'course-2', 'completed', 1);

      const roster = await classRoster(t.db, 'course-1', at(50));
      assert.deepEqual(roster.map((r) => [r.learner, r.displayName, r.staff, r.state, r.secondsUsed, r.bestScore, r.checkRuns]), [
        ['ann', 'Ann Lovelace', false, 'READY', 39 * 60, 0.75, 2],
        ['bob', null, false, 'SUSPENDED', 5 * 60, null, 0],
        ['tess', 'Tess Teacher', true, 'READY', 50 * 60, null, 0],
      ]);
      assert.deepEqual(await classRoster(t.db, 'course-3', at(50)), []);
    });

    test('the retention sweep removes old recordings, row and file, and keeps the rest', async () => {
      const clock = new ManualClock(at(0));
      const recordings = new Recordings({ db: t.db, clock, logger: pino({ level: 'silent' }), dir, retentionDays: 7 });
      for (const [id, days] of [['old', -8], ['recent', -6]] as const) {
        await recordings.store.begin({ id, stackId: 's-ann', learner: 'ann', context: 'course-1', lab: 'shell', server: 'default', file: `${id}.cast`, startedAt: new Date(T0.getTime() + days * 86_400_000) });
        writeFileSync(join(dir, `${id}.cast`), '{"version":2,"width":80,"height":24}\n');
      }
      assert.deepEqual(await recordings.sweep(), { removed: 1 });
      assert.equal(existsSync(join(dir, 'old.cast')), false);
      assert.equal(existsSync(join(dir, 'recent.cast')), true);
      assert.deepEqual((await recordings.store.forStack('s-ann')).map((r) => r.id), ['recent']);
    });
  });
}
