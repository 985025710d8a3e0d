/**
 * PoolStore.takeForReset on both backends: a reset's exchange of environments between the learner's
 * stack and a pool stack is one statement (both rows and their history, or nothing), honours the
 * providers the reset avoids, and under concurrent resets and first-launch claims never gives one pool
 * stack twice nor leaves a provider stack named by two rows or by none.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import type { StackState } from '../../src/domain/states.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();
const STEPS: Array<[StackState, StackState]> = [
  ['LAUNCH_PENDING', 'CREATING'],
  ['CREATING', 'READY'],
  ['READY', 'SUSPEND_PENDING'],
  ['SUSPEND_PENDING', 'SUSPENDING'],
  ['SUSPENDING', 'SUSPENDED'],
];

for (const backend of BACKENDS) {
  describe(`a reset from the warm pool in the store on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestDatabase;
    let store: StackStore;
    const now = new Date('2026-03-01T10:00:00Z');
    before(async () => {
      t = await freshDatabase(backend);
      store = new StackStore(t.db);
    });
    after(async () => t?.drop());

    /** Walks a stack along the table to `state`, then gives it an environment on `provider`. */
    const walk = async (id: string, state: 'READY' | 'SUSPENDED', provider: string) => {
      for (const [from, to] of STEPS) {
        if (from === state) break;
        await store.transition({ id, from: [from], to, reason: reason('history.created'), actor: 'test', now });
      }
      await store.update(id, [state], { provider, provider_stack_id: `ref-${id}`, public_ip: `ip-${id}`, outputs: { who: id }, secrets: `sealed-${id}` }, now);
    };
    const poolStack = async (id: string, state: 'READY' | 'SUSPENDED', opts: { lab?: string; provider?: string; at?: Date } = {}) => {
      await store.pool().insert(
        { id, lab: opts.lab ?? 'lab', run: '', providerStackName: `stacklab-t-${id}-1`, templateHash: 'h1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now: opts.at ?? now },
        'pool',
      );
      await walk(id, state, opts.provider ?? 'a');
    };
    const learnerStack = async (id: string, learner: string, state: 'READY' | 'SUSPENDED', opts: { lab?: string; provider?: string } = {}) => {
      await store.insertOrGet(
        { id, learner, context: 'course-1', lab: opts.lab ?? 'lab', run: 'run-1', providerStackName: `stacklab-t-${id}-2`, suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now },
        `learner:${learner}`,
      );
      await walk(id, state, opts.provider ?? 'a');
    };
    const takeForReset = (id: string, state: StackState, opts: { lab?: string; avoid?: string[] } = {}) =>
      store.pool().takeForReset({
        id,
        state,
        lab: opts.lab ?? 'lab',
        poolRun: '',
        templateHash: 'h1',
        avoid: opts.avoid ?? [],
        deleteBy: new Date(now.getTime() + 3600_000),
        suspendTimeout: 120,
        deleteAge: 3600,
        launchTimeout: 900,
        actor: 'learner:test',
        now,
      });

    test("the learner's stack takes the pool stack's environment; the pool stack's row takes the old one to delete it", async () => {
      await learnerStack('x1', 'ana', 'READY');
      await poolStack('p1', 'SUSPENDED');
      const took = await takeForReset('x1', 'READY');
      assert.ok(took, 'nothing was taken');
      const { stack, old } = took;
      assert.deepEqual(
        [stack.id, stack.learner, stack.context, stack.run, stack.state, stack.personalize, stack.pool, stack.claimedAt],
        ['x1', 'ana', 'course-1', 'run-1', 'RESUME_PENDING', 'SUSPENDED', false, null],
      );
      assert.deepEqual([stack.provider, stack.providerStackId, stack.providerStackName, stack.publicIp, stack.outputs], ['a', 'ref-p1', 'stacklab-t-p1-1', 'ip-p1', { who: 'p1' }]);
      assert.equal(await store.getSealedSecrets('x1'), 'sealed-p1');
      assert.deepEqual([old.id, old.state, old.pool, old.relaunch, old.personalize], ['p1', 'DELETE_PENDING', false, false, null]);
      assert.deepEqual([old.provider, old.providerStackId, old.providerStackName, old.publicIp], ['a', 'ref-x1', 'stacklab-t-x1-2', 'ip-x1']);
      assert.equal(await store.getSealedSecrets('p1'), 'sealed-x1');
      const mine = (await store.events('x1')).at(-1)!;
      assert.deepEqual([mine.fromState, mine.toState, mine.reasonKey, mine.actor], ['READY', 'RESUME_PENDING', 'history.resetFromPool', 'learner:test']);
      const theirs = (await store.events('p1')).at(-1)!;
      assert.deepEqual([theirs.fromState, theirs.toState, theirs.reasonKey], ['SUSPENDED', 'DELETE_PENDING', 'history.poolTookResetOld']);
      assert.equal(await store.pool().lastGeneration('stacklab-t-x1-'), 2, "the learner's own last name is still held");
    });

    test('nothing moves when the learner stack is not as read, or the pool has only stacks on avoided providers', async () => {
      await learnerStack('x2', 'bo', 'SUSPENDED', { lab: 'lab2' });
      await poolStack('p2a', 'READY', { lab: 'lab2', provider: 'a' });
      assert.equal(await takeForReset('x2', 'READY', { lab: 'lab2' }), null, 'a stack no longer in the state read was reset');
      assert.equal(await takeForReset('x2', 'SUSPENDED', { lab: 'lab2', avoid: ['a'] }), null, 'a pool stack on an avoided provider was taken');
      assert.equal((await store.get('p2a'))!.pool, true);
      assert.equal((await store.get('x2'))!.providerStackName, 'stacklab-t-x2-2');
      await poolStack('p2b', 'SUSPENDED', { lab: 'lab2', provider: 'b', at: new Date(now.getTime() + 1000) });
      const took = await takeForReset('x2', 'SUSPENDED', { lab: 'lab2', avoid: ['a'] });
      assert.equal(took?.old.id, 'p2b', 'the pool stack on the other provider was not taken');
      assert.equal(took.stack.provider, 'b');
      assert.equal((await store.get('p2a'))!.pool, true);
    });

    test('concurrent resets and first launches never share a pool stack, and every environment stays named by exactly one row', async () => {
      const lab = 'race';
      for (let i = 0; i < 4; i++) await poolStack(`rp${i}`, i % 2 ? 'READY' : 'SUSPENDED', { lab });
      const learners = Array.from({ length: 6 }, (_, i) => `r-${i}`);
      for (const [i, l] of learners.entries()) await learnerStack(`rx${i}`, l, 'READY', { lab });
      const names = async () => (await t.db.query<{ provider_stack_name: string }>(`SELECT provider_stack_name FROM stacks WHERE lab = $1`, [lab])).map((r) => r.provider_stack_name).sort();
      const before = await names();
      const claims = Array.from({ length: 3 }, (_, i) =>
        store.pool().claim({ lab, poolRun: '', templateHash: 'h1', learner: `new-${i}`, context: 'course-1', run: 'run-1', suspendBy: null, actor: 'test', now }),
      );
      const results = await Promise.all([...learners.map((_, i) => takeForReset(`rx${i}`, 'READY', { lab })), ...claims]);
      const resets = results.slice(0, learners.length) as Array<Awaited<ReturnType<typeof takeForReset>>>;
      const claimed = results.slice(learners.length).filter((r) => r !== null) as Array<{ id: string }>;
      const taken = [...resets.filter((r) => r !== null).map((r) => r!.old.id), ...claimed.map((c) => c.id)];
      assert.equal(taken.length, 4, 'every pool stack was taken, and no more');
      assert.equal(new Set(taken).size, 4, 'a pool stack was taken twice');
      assert.deepEqual(await names(), before, 'an environment is named by two rows, or by none');
      const rows = await store.list({ lab, limit: 100 });
      for (const r of resets) if (r) assert.equal(rows.find((s) => s.id === r.old.id)!.state, 'DELETE_PENDING');
    });
  });
}
