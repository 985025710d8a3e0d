/**
 * The worker's claim by id (StackStore.claimPending), for work asked for in its own process: it claims
 * exactly what the general claim would have claimed of those stacks (state, lease, deadline, history,
 * what the claim reads beside), only pending work, and never one stack for two workers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StackStore } from '../../src/db/stack-store.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`claim by id on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestDatabase;
    let store: StackStore;
    const now = new Date('2026-03-01T10:00:00Z');
    const input = (worker: string, at = now) => ({ worker, now: at, leaseUntil: new Date(at.getTime() + 60_000), suspendTaskTimeout: 120, deleteTaskTimeout: 300 });
    before(async () => {
      t = await freshDatabase(backend);
      store = new StackStore(t.db);
    });
    after(async () => t?.drop());

    /** A stack moved along `path` (each step a transition), as the lifecycle would have moved it. */
    async function stackIn(id: string, path: Array<Parameters<StackStore['transition']>[0]['to']>): Promise<void> {
      await store.insertOrGet({ id, learner: id, context: 'course-1', lab: 'lab', run: 'run', providerStackName: `stacklab-${id}-1`, suspendTimeout: 120, deleteAge: 3600, launchTimeout: 900, now }, 'test');
      let from = 'LAUNCH_PENDING' as Parameters<StackStore['transition']>[0]['to'];
      for (const to of path) {
        await store.transition({ id, from: [from], to, reason: reason('history.created'), actor: 'test', now });
        from = to;
      }
    }

    test('claims the named pending stacks as the general claim does, and nothing else', async () => {
      await stackIn('sus', ['CREATING', 'READY', 'SUSPEND_PENDING']);
      await stackIn('res', ['CREATING', 'READY', 'SUSPEND_PENDING', 'SUSPENDING', 'SUSPENDED', 'RESUME_PENDING']);
      await stackIn('other', ['CREATING', 'READY', 'SUSPEND_PENDING']);
      await stackIn('ready', ['CREATING', 'READY']);
      const at = new Date(now.getTime() + 5_000);
      const claimed = await store.claimPending({ ...input('w1', at), ids: ['sus', 'res', 'ready', 'missing'] });
      const byId = new Map(claimed.map((s) => [s.id, s]));
      assert.deepEqual([...byId.keys()].sort(), ['res', 'sus'], 'a stack not pending, or not named, was claimed');
      const sus = byId.get('sus')!;
      assert.equal(sus.state, 'SUSPENDING');
      assert.equal(sus.leaseOwner, 'w1');
      assert.equal(sus.leaseUntil?.getTime(), at.getTime() + 60_000);
      const [row] = await t.db.query<{ op_deadline: Date | string }>('SELECT op_deadline FROM stacks WHERE id = $1', ['sus']);
      assert.equal(new Date(row!.op_deadline).getTime(), at.getTime() + 120_000, "the suspend's deadline");
      assert.equal(sus.claimedFrom, 'SUSPEND_PENDING');
      assert.equal(sus.requestedAt?.getTime(), now.getTime(), 'when the work was asked for');
      assert.equal(byId.get('res')!.resumeRequestedFrom, 'SUSPENDED', 'what the resume request found, read beside the claim');
      const entry = (await store.events('sus')).at(-1)!;
      assert.deepEqual([entry.fromState, entry.toState, entry.reasonKey, entry.actor, entry.at.getTime()], ['SUSPEND_PENDING', 'SUSPENDING', 'history.claimedByWorker', 'worker:w1', at.getTime()]);
      assert.equal((await store.get('other'))!.state, 'SUSPEND_PENDING', 'a stack not named was claimed');
      assert.deepEqual(await store.claimPending({ ...input('w1'), ids: [] }), []);
    });

    test('an in-progress stack whose lease expired is left to the general claim (a take-over looks at leases)', async () => {
      const later = new Date(now.getTime() + 3600_000);
      assert.deepEqual(await store.claimPending({ ...input('w2', later), ids: ['sus'] }), []);
      const taken = await store.claim({ ...input('w2', later), limit: 10 });
      assert.ok(taken.some((s) => s.id === 'sus' && s.leaseOwner === 'w2'), 'the general claim did not take it over');
    });

    test('two workers claiming the same ids at once never both get one', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => `race-${i}`);
      for (const id of ids) await stackIn(id, ['CREATING', 'READY', 'SUSPEND_PENDING']);
      const results = await Promise.all(['a', 'b', 'c'].map((w) => store.claimPending({ ...input(w), ids })));
      const claimed = results.flat().map((s) => s.id);
      assert.equal(new Set(claimed).size, claimed.length, 'a stack was claimed twice');
      // SKIP LOCKED may leave a row for the general claim; every stack was claimed once, or is still pending.
      const left = await store.claim({ ...input('d'), limit: 100 });
      assert.deepEqual([...claimed, ...left.filter((s) => ids.includes(s.id)).map((s) => s.id)].sort(), [...ids].sort());
    });
  });
}
