import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { isPoolLearner } from '../../src/domain/pool.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`warm pool store on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestDatabase;
    let store: StackStore;
    const now = new Date('2026-03-01T10:00:00Z');
    before(async () => {
      t = await freshDatabase(backend);
      store = new StackStore(t.db);
    });
    after(async () => t?.drop());

    /** A pool stack of `lab`/`run`, moved along the table to `state` (READY or SUSPENDED). */
    const poolStack = async (id: string, state: 'READY' | 'SUSPENDED' | 'CREATING', opts: { lab?: string; run?: string; hash?: string } = {}) => {
      await store.pool().insert(
        { id, lab: opts.lab ?? 'lab', run: opts.run ?? '', providerStackName: `stacklab-t-${id}-1`, templateHash: opts.hash ?? 'h1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now },
        'pool',
      );
      const steps: Array<['LAUNCH_PENDING' | 'CREATING' | 'READY' | 'SUSPEND_PENDING' | 'SUSPENDING', 'CREATING' | 'READY' | 'SUSPEND_PENDING' | 'SUSPENDING' | 'SUSPENDED']> = [
        ['LAUNCH_PENDING', 'CREATING'],
        ['CREATING', 'READY'],
        ['READY', 'SUSPEND_PENDING'],
        ['SUSPEND_PENDING', 'SUSPENDING'],
        ['SUSPENDING', 'SUSPENDED'],
      ];
      for (const [from, to] of steps) {
        if (from === state) break;
        await store.transition({ id, from: [from], to, reason: reason('history.poolSuspends'), actor: 'test', now });
      }
    };
    const claim = (learner: string, opts: { lab?: string; poolRun?: string; hash?: string; context?: string } = {}) =>
      store.pool().claim({
        lab: opts.lab ?? 'lab',
        poolRun: opts.poolRun ?? '',
        templateHash: opts.hash ?? 'h1',
        learner,
        context: opts.context ?? 'course-1',
        run: 'run-1',
        suspendBy: null,
        actor: `learner:${learner}`,
        now,
      });

    test('a pool stack belongs to nobody: a reserved learner of its own, no reaper deadline', async () => {
      await poolStack('p0', 'READY', { lab: 'other' });
      const stack = (await store.get('p0'))!;
      assert.ok(isPoolLearner(stack.learner));
      assert.equal(stack.pool, true);
      assert.equal(stack.deleteBy, null);
      assert.equal(stack.templateHash, 'h1');
    });

    test('a claim hands a running stack out first, makes it the learner\'s and records it in the history', async () => {
      await poolStack('p1', 'SUSPENDED');
      await poolStack('p2', 'READY');
      const got = await claim('alice');
      assert.equal(got?.id, 'p2', 'the running stack is handed out before the suspended one');
      assert.equal(got.state, 'RESUME_PENDING');
      assert.equal(got.learner, 'alice');
      assert.equal(got.context, 'course-1');
      assert.equal(got.run, 'run-1');
      assert.equal(got.pool, false);
      assert.equal(got.personalize, 'READY');
      assert.deepEqual(got.claimedAt, now);
      const last = (await store.events('p2')).at(-1)!;
      assert.deepEqual([last.fromState, last.toState, last.actor], ['READY', 'RESUME_PENDING', 'learner:alice']);
      // Its reason and the pool launch's name their catalogue messages (migration 017).
      assert.deepEqual([last.reasonKey, last.reasonValues, last.reason], ['history.poolClaimed', {}, 'claimed from the warm pool by a first launch']);
      const first = (await store.events('p2'))[0]!;
      assert.deepEqual([first.reasonKey, first.reason], ['history.poolLaunched', 'launched ahead for the warm pool']);
      assert.equal((await store.findByKey('alice', 'course-1', 'lab'))?.id, 'p2');
      const next = await claim('bob');
      assert.equal(next?.id, 'p1');
      assert.equal(next.personalize, 'SUSPENDED');
    });

    test('only the current template, the pool\'s run and a claimable state are handed out; an empty pool says so', async () => {
      await poolStack('s1', 'SUSPENDED', { hash: 'old' });
      await poolStack('s2', 'CREATING');
      await poolStack('s3', 'READY', { run: 'run-A' });
      assert.equal(await claim('carol'), null);
      assert.equal((await claim('carol', { poolRun: 'run-A' }))?.id, 's3');
      assert.equal((await store.get('s1'))!.pool, true);
      assert.equal((await store.get('s2'))!.pool, true);
    });

    test('concurrent claims never hand one stack to two learners', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => `race${i}`);
      for (const [i, id] of ids.entries()) await poolStack(id, i % 2 ? 'READY' : 'SUSPENDED', { lab: 'race' });
      const learners = Array.from({ length: 20 }, (_, i) => `learner-${i}`);
      const results = await Promise.all(learners.map((l) => claim(l, { lab: 'race' })));
      const won = results.filter((r) => r !== null);
      assert.equal(won.length, ids.length, 'every pool stack was handed out, and no more');
      assert.equal(new Set(won.map((r) => r.id)).size, ids.length, 'a stack was handed to two learners');
      for (const r of won) {
        const row = (await store.get(r.id))!;
        assert.equal(row.learner, r.learner, 'the row belongs to the learner whose claim returned it');
        assert.equal((await store.events(r.id)).filter((e) => e.toState === 'RESUME_PENDING').length, 1, 'one claim event per stack');
      }
      assert.deepEqual(await store.pool().counts().then((c) => c.filter((x) => x.lab === 'race')), []);
    });
  });
}
