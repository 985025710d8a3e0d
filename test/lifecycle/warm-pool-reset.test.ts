/**
 * A reset ("start over") takes a ready stack from the lab's warm pool, as a first launch does
 * (docs/pools.md): the learner's stack keeps its id and takes the pool stack's environment, resumed and
 * personalized; the old environment is deleted on the provider under the pool stack's row; the reset
 * counts as a launch; a provider the reset moves away from is not taken from; and the stack's next
 * fresh launch never reuses a provider stack name of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lab } from '../../src/domain/lab.ts';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { isPoolLearner } from '../../src/domain/pool.ts';
import { OCCUPYING_STATES } from '../../src/domain/states.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';
const CONTEXT = 'course-v1:Org+Reset+2026';

for (const backend of BACKENDS) {
  describe(`a reset takes from the warm pool on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let fake: FakeProvider;
    let fake2: FakeProvider;
    const personalized: Array<{ stack: string; learner: string; poolKey: string | undefined; password: string }> = [];
    // Empty until a test sizes it: a first launch must not take from it.
    const pooled: Lab = testLab({ id: 'pooled', pool: { size: 0, state: 'suspended', perRun: false, runs: [] } });
    const twin: Lab = testLab({
      id: 'twin',
      pool: { size: 0, state: 'suspended', perRun: false, runs: [] },
      providers: [
        { name: 'fake', capacity: -1, template: T, templateFile: 'template.yaml' },
        { name: 'fake2', capacity: -1, template: T, templateFile: 'template.yaml' },
      ],
    });
    before(async () => {
      fake = new FakeProvider('fake');
      fake2 = new FakeProvider('fake2');
      rt = await testRuntime({ backend, providers: [fake, fake2], labs: mapCatalog([pooled, twin]) });
      rt.ctx.lifecycleHooks.personalize = async (stack, poolSecrets, fresh) => {
        personalized.push({ stack: stack.id, learner: stack.learner, poolKey: poolSecrets.privateKey, password: fresh.password });
      };
    });
    after(async () => rt?.close());

    const launch = (learner: string, lab = 'pooled') => rt.ctx.stacks.launch({ learner, context: CONTEXT, lab, actor: 'test' });
    const reset = (id: string) => rt.ctx.stacks.reset(id, 'RESET', 'learner:test');
    /** Runs the filler and the workers until the pool has settled (a pass launches, the next suspends). */
    const fillPool = async () => {
      for (let pass = 0; pass < 2; pass++) {
        await rt.scheduler.runJob('warm pools');
        await settle(rt);
      }
    };
    const poolRows = async (lab = 'pooled') => (await rt.ctx.stacks.list({ lab, limit: 1000 })).filter((s) => s.pool && s.state !== 'DELETED');
    const launches = async (learner: string) => (await rt.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM learner_launches WHERE learner = $1', [learner]))[0]!.n;

    let anaId = '';
    let anaNames: string[] = [];

    test("a reset of a running stack takes the pool's stack: same stack, a fresh environment made the learner's, the old one deleted", async () => {
      const first = await launch('ana');
      assert.equal(first.claimedAt, null, 'the empty pool handed out a stack');
      await settle(rt);
      // A reset without a pool stack, as today: the stack's second generation.
      await reset(first.id);
      await settle(rt);
      const running = await rt.ctx.stacks.get(first.id);
      assert.equal(running.state, 'READY');
      anaId = running.id;
      anaNames = [first.providerStackName, running.providerStackName];
      const oldName = running.providerStackName;
      const oldSecrets = await rt.ctx.stacks.secrets(anaId);

      pooled.pool!.size = 1;
      await fillPool();
      const [pool] = await poolRows();
      assert.equal(pool?.state, 'SUSPENDED');
      const poolSecrets = await rt.ctx.stacks.secrets(pool.id);
      const counted = await launches('ana');
      const creates = fake.calls.filter((c) => c.op === 'create').length;

      const answer = await reset(anaId);
      assert.equal(answer.id, anaId, "the reset changed the learner's stack id");
      assert.equal(answer.state, 'RESUME_PENDING', 'the reset did not take the ready pool stack');
      assert.equal(answer.personalize, 'SUSPENDED');
      assert.equal(answer.providerStackName, pool.providerStackName);
      assert.equal(answer.learner, 'ana');
      assert.equal(answer.context, CONTEXT);
      assert.equal(answer.claimedAt, null, "the learner's time before the reset was billed to the pool");
      const graveyard = await rt.ctx.stacks.get(pool.id);
      assert.equal(graveyard.state, 'DELETE_PENDING');
      assert.equal(graveyard.pool, false, 'the row deleting the old environment is still counted in the pool');
      assert.ok(isPoolLearner(graveyard.learner));
      assert.equal(graveyard.providerStackName, oldName, 'the old environment is held by no row');
      assert.equal(graveyard.relaunch, false);
      assert.equal(await launches('ana'), counted + 1, 'a reset from the pool is not counted as a launch');

      await settle(rt);
      const ready = await rt.ctx.stacks.get(anaId);
      assert.equal(ready.state, 'READY');
      assert.equal(ready.personalize, null);
      assert.ok(ready.suspendAt && ready.deleteBy, "the learner's stack has the usual idle and reaper deadlines");
      assert.equal(fake.calls.filter((c) => c.op === 'create').length, creates, 'the reset waited for a create');
      const mine = personalized.filter((p) => p.stack === anaId);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!.learner, 'ana');
      assert.equal(mine[0]!.poolKey, poolSecrets.privateKey, 'the hook did not log in with the pool key');
      const secrets = await rt.ctx.stacks.secrets(anaId);
      assert.notEqual(secrets.privateKey, poolSecrets.privateKey);
      assert.notEqual(secrets.privateKey, oldSecrets.privateKey);
      assert.equal(secrets.password, mine[0]!.password);
      // The old environment is gone from the provider, and its row is done.
      assert.ok(fake.calls.some((c) => c.op === 'delete' && c.name === oldName), 'the old environment was not deleted');
      assert.equal(await fake.get({ id: `fake-${oldName}`, name: oldName }), null);
      assert.equal((await rt.ctx.stacks.get(pool.id)).state, 'DELETED');
      const history = await rt.ctx.stacks.events(anaId);
      assert.ok(history.some((e) => e.reasonKey === 'history.resetFromPool' && e.fromState === 'READY' && e.toState === 'RESUME_PENDING'));
      anaNames.push(ready.providerStackName);
      // The pool refills behind the reset.
      await fillPool();
      assert.deepEqual((await poolRows()).map((s) => s.state), ['SUSPENDED']);
      pooled.pool!.size = 0;
      await fillPool();
      assert.equal((await poolRows()).length, 0);
    });

    test("the stack's next fresh launch never reuses a provider stack name of its own", async () => {
      // No pool stack now: today's reset (delete, then launch afresh). The stack holds the pool stack's
      // name; its own last one (still on the row that deleted it) must not come back.
      await reset(anaId);
      await settle(rt);
      const again = await rt.ctx.stacks.get(anaId);
      assert.equal(again.state, 'READY');
      assert.ok(!anaNames.includes(again.providerStackName), `${again.providerStackName} was one of ${anaNames.join(', ')}`);
      assert.ok(again.providerStackName.includes(anaId), 'the fresh launch is not named for its stack');
      assert.match(again.providerStackName, /-3$/);
    });

    test('a reset away from a full provider does not take a pool stack there, and takes one elsewhere', async () => {
      const bo = await launch('bo', 'twin');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(bo.id)).provider, 'fake');
      // One pool stack on `fake` (the lab's first provider, now full), then a newer one on `fake2`.
      twin.providers[0]!.capacity = (await rt.ctx.stacks.store.countOnProvider('fake', OCCUPYING_STATES)) + 1;
      twin.pool!.size = 1;
      await fillPool();
      rt.clock.advance(60);
      twin.pool!.size = 2;
      await fillPool();
      const rows = await poolRows('twin');
      assert.deepEqual(rows.map((s) => [s.provider, s.state]), [['fake', 'SUSPENDED'], ['fake2', 'SUSPENDED']]);
      // Her stack could not wake on `fake`: no room there.
      await rt.ctx.stacks.requestSuspend(bo.id, 'test');
      await settle(rt);
      const store = rt.ctx.stacks.store;
      const why = reason('history.noRoom', { detail: 'no valid host' });
      const now = rt.clock.now();
      await store.transition({ id: bo.id, from: ['SUSPENDED'], to: 'RESUME_PENDING', reason: why, actor: 'test', now });
      await store.transition({ id: bo.id, from: ['RESUME_PENDING'], to: 'RESUMING', reason: why, actor: 'test', now });
      await store.transition({ id: bo.id, from: ['RESUMING'], to: 'RESUME_FAILED', reason: why, actor: 'test', now, changes: { error_code: 'PROVIDER_FULL', error: 'no room' } });

      const answer = await reset(bo.id);
      assert.equal(answer.state, 'RESUME_PENDING', 'the reset did not take the pool stack on the other provider');
      assert.equal(answer.provider, 'fake2', 'the reset took a pool stack on the provider it moves away from');
      assert.equal(answer.providerStackName, rows[1]!.providerStackName);
      assert.equal((await rt.ctx.stacks.get(rows[0]!.id)).pool, true, 'the pool stack on the full provider left the pool');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(bo.id)).state, 'READY');
      assert.equal((await rt.ctx.stacks.get(rows[1]!.id)).state, 'DELETED');
      twin.pool!.size = 0;
      twin.providers[0]!.capacity = -1;
      await fillPool();
    });
  });
}
