/**
 * The store's count of the stacks a learner holds (db/learner-usage.ts) says what domain/learner-limits.ts
 * `holdsLearnerSlot` says, for every state with and without a pending reset, on both databases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LearnerUsage } from '../../src/db/learner-usage.ts';
import { holdsLearnerSlot } from '../../src/domain/learner-limits.ts';
import { STATES } from '../../src/domain/states.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`learner usage on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await freshDatabase(backend);
    });
    after(async () => t?.drop());

    test('the stacks held are exactly those holdsLearnerSlot counts', async () => {
      const rows = STATES.flatMap((state) => [false, true].map((relaunch) => ({ id: `${state}-${relaunch}`, state, relaunch })));
      await t.db.query(
        `INSERT INTO stacks (id, learner, context, lab, state, relaunch, provider_stack_name, suspend_timeout, delete_age, launch_timeout,
                             last_activity_at, state_changed_at, created_at, updated_at)
         SELECT id, 'ann', id, 'lab', state, relaunch, 'stacklab-' || id, 120, 3600, 900, now(), now(), now(), now()
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, state text, relaunch boolean)`,
        [JSON.stringify(rows)],
      );
      const held = new Set((await new LearnerUsage(t.db).stacksHeld('ann')).map((s) => s.id));
      for (const row of rows) assert.equal(held.has(row.id), holdsLearnerSlot(row), `${row.state}, relaunch ${row.relaunch}`);
      assert.ok(held.size > 0 && held.size < rows.length);
      assert.deepEqual(await new LearnerUsage(t.db).stacksHeld('bob'), [], 'per learner');
    });
  });
}
