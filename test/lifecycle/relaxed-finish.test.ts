/**
 * Which moves commit without waiting for PostgreSQL's WAL flush (Operations.finish): only the end of a
 * suspend or resume that succeeded, which a crash of PostgreSQL could only undo into a state the next
 * worker takes over and finishes again. Launches, failures and requests keep waiting for the flush.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, freshDatabase, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const RELAXED = /set_config\('synchronous_commit', 'off', true\)/;

for (const backend of BACKENDS) {
  describe(`relaxed commits on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    test('a relaxed transition relaxes its own transaction only', async () => {
      const t = await freshDatabase(backend);
      try {
        const store = new StackStore(t.db);
        const now = new Date();
        await store.insertOrGet({ id: 'r1', learner: 'l', context: 'c', lab: 'lab', run: 'run', providerStackName: 'stacklab-r1-1', suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now }, 'test');
        const inside = await t.db.transaction(async (tx) => {
          const moved = await new StackStore(tx).transition({ id: 'r1', from: ['LAUNCH_PENDING'], to: 'CREATING', reason: reason('history.claimedByWorker'), actor: 'test', now, relaxed: true });
          assert.equal(moved?.state, 'CREATING', 'the relaxed move returns the stack as the other does');
          return (await tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]?.synchronous_commit;
        });
        assert.equal(inside, 'off');
        await store.transition({ id: 'r1', from: ['CREATING'], to: 'READY', reason: reason('history.created'), actor: 'test', now, relaxed: true });
        const [after] = await t.db.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
        assert.equal(after?.synchronous_commit, 'on', 'the relaxed commit leaked into the session');
        const plain = await t.db.transaction(async (tx) => {
          await new StackStore(tx).transition({ id: 'r1', from: ['READY'], to: 'SUSPEND_PENDING', reason: reason('history.suspendRequested'), actor: 'test', now });
          return (await tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]?.synchronous_commit;
        });
        assert.equal(plain, 'on');
      } finally {
        await t.drop();
      }
    });

    test('only a successful suspend or resume is recorded without waiting for the flush', async () => {
      const fake = new FakeProvider('fake');
      const rt = await testRuntime({ backend, providers: [fake], labs: [testLab()] });
      try {
        // Every state the database was asked to move a stack to, and whether that move was relaxed.
        const moves: Array<[string, boolean]> = [];
        const db = rt.ctx.db as { query: (sql: string, params?: unknown[], options?: unknown) => Promise<unknown[]> };
        const query = db.query.bind(db);
        db.query = (sql, params, options) => {
          if (sql.startsWith('WITH prev AS')) moves.push([String(params?.[2]), RELAXED.test(sql)]);
          return query(sql, params, options);
        };
        const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: 'demo', actor: 'test' });
        await settle(rt);
        await rt.ctx.stacks.requestSuspend(stack.id, 'test');
        await settle(rt);
        await rt.ctx.stacks.requestResume(stack.id, 'test');
        await settle(rt);
        fake.configure({ fail: ['suspend'] });
        await rt.ctx.stacks.requestSuspend(stack.id, 'test');
        await settle(rt);
        assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPEND_FAILED');
        assert.deepEqual(
          moves.filter(([, relaxed]) => relaxed).map(([to]) => to),
          ['SUSPENDED', 'READY'],
          'relaxed moves other than the end of a successful suspend and resume',
        );
        assert.ok(moves.some(([to, relaxed]) => to === 'SUSPEND_FAILED' && !relaxed), 'the failure was not seen');
      } finally {
        await rt.close();
      }
    });
  });
}
