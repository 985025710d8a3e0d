import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lab } from '../../src/domain/lab.ts';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { isPoolLearner, templateHash } from '../../src/domain/pool.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';
const CONTEXT = 'course-v1:Org+C1+2026';

/** A catalog whose labs a test can swap (a lab folder edited while the server runs). */
function mutableCatalog(labs: Lab[]) {
  let current = mapCatalog(labs);
  return { get: (id: string) => current.get(id), list: () => current.list(), set: (next: Lab[]) => (current = mapCatalog(next)) };
}

for (const backend of BACKENDS) {
  describe(`warm pools on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let fake: FakeProvider;
    const personalized: Array<{ stack: string; learner: string; poolKey: string | undefined; publicKey: string; password: string }> = [];
    const pooled = testLab({ id: 'pooled', pool: { size: 2, state: 'suspended', perRun: false, runs: [] } });
    const catalog = mutableCatalog([pooled, testLab({ id: 'plain' })]);
    before(async () => {
      fake = new FakeProvider('fake');
      rt = await testRuntime({ backend, providers: [fake], labs: catalog });
      // The real hook logs in over SSH (test/lxc/warm-pool.test.ts); here it records what it was given.
      rt.ctx.lifecycleHooks.personalize = async (stack, poolSecrets, fresh) => {
        personalized.push({ stack: stack.id, learner: stack.learner, poolKey: poolSecrets.privateKey, ...fresh });
      };
    });
    after(async () => rt?.close());
    const launch = (learner: string, lab = 'pooled') => rt.ctx.stacks.launch({ learner, context: CONTEXT, lab, actor: 'test' });
    const fill = () => rt.scheduler.runJob('warm pools');
    const poolRows = async (lab = 'pooled') => (await rt.ctx.stacks.list({ lab, limit: 1000 })).filter((s) => s.pool && s.state !== 'DELETED');

    test('the filler launches the pool, suspends it, and a second pass changes nothing', async () => {
      await fill();
      assert.equal((await poolRows()).length, 2);
      await settle(rt);
      await fill();
      await settle(rt);
      const rows = await poolRows();
      assert.deepEqual(rows.map((s) => s.state), ['SUSPENDED', 'SUSPENDED']);
      assert.ok(rows.every((s) => isPoolLearner(s.learner) && s.deleteBy === null && s.suspendAt === null), 'a pool stack has no idle or reaper deadline');
      const created = fake.calls.filter((c) => c.op === 'create').length;
      await fill();
      await settle(rt);
      assert.equal(fake.calls.filter((c) => c.op === 'create').length, created, 'an idle pass launched more');
      assert.deepEqual(await rt.ctx.pools.list().then((p) => p.find((x) => x.lab === 'pooled')), { lab: 'pooled', run: '', size: 2, state: 'suspended', ready: 2, filling: 0, stale: 0 });
    });

    test("a first launch takes a pool stack: resumed, personalized with the learner's own key, and the pool refills", async () => {
      const before = await poolRows();
      const poolSecrets = await rt.ctx.stacks.secrets(before[0]!.id);
      const stack = await launch('alice');
      assert.equal(stack.id, before[0]!.id, 'the oldest pool stack was not the one taken');
      assert.equal(stack.state, 'RESUME_PENDING');
      assert.equal(stack.learner, 'alice');
      await settle(rt);
      const ready = await rt.ctx.stacks.get(stack.id);
      assert.equal(ready.state, 'READY');
      assert.equal(ready.personalize, null);
      assert.ok(ready.suspendAt && ready.deleteBy, "the learner's stack has the usual idle and reaper deadlines");
      const mine = personalized.find((p) => p.stack === stack.id)!;
      assert.equal(mine.learner, 'alice');
      assert.equal(mine.poolKey, poolSecrets.privateKey, 'the hook did not log in with the pool key');
      const secrets = await rt.ctx.stacks.secrets(stack.id);
      assert.notEqual(secrets.privateKey, poolSecrets.privateKey, "the learner's stack still carries the pool's key");
      assert.match(secrets.privateKey!, /PRIVATE KEY/);
      assert.equal(secrets.password, mine.password);
      assert.notEqual(secrets.password, poolSecrets.password);
      assert.ok(mine.publicKey.startsWith('ssh-rsa '));
      assert.equal(fake.calls.filter((c) => c.op === 'resume').length, 1);
      // Coming back is today's come-back, never another claim.
      assert.equal((await launch('alice')).id, stack.id);
      assert.equal((await poolRows()).length, 1);
      await fill();
      await settle(rt);
      await fill();
      await settle(rt);
      assert.deepEqual((await poolRows()).map((s) => s.state), ['SUSPENDED', 'SUSPENDED'], 'the pool did not refill');
    });

    test('a running pool is handed out without a resume', async () => {
      catalog.set([{ ...pooled, pool: { ...pooled.pool!, state: 'running' } }, testLab({ id: 'plain' })]);
      // The suspended stacks stay (the template is the same); new ones would be kept running.
      const resumes = fake.calls.filter((c) => c.op === 'resume').length;
      const rows = await poolRows();
      await rt.ctx.stacks.requestResume(rows[0]!.id, 'test');
      await settle(rt);
      const stack = await launch('bob');
      assert.equal(stack.id, rows[0]!.id, 'the running stack was not handed out first');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
      assert.equal(fake.calls.filter((c) => c.op === 'resume').length, resumes + 1, 'a running pool stack was resumed at the provider');
      assert.ok(personalized.some((p) => p.stack === stack.id && p.learner === 'bob'));
      catalog.set([pooled, testLab({ id: 'plain' })]);
    });

    test("a changed template replaces the pool's stacks, and a launch meanwhile falls back to a plain launch", async () => {
      await fill();
      await settle(rt);
      const old = (await poolRows()).map((s) => s.id);
      const changed = { ...pooled, providers: [{ ...pooled.providers[0]!, template: `${T}description: v2\n` }] };
      assert.notEqual(templateHash(changed), templateHash(pooled));
      catalog.set([changed, testLab({ id: 'plain' })]);
      // Nothing of the new template is ready yet: today's launch.
      const carol = await launch('carol');
      assert.equal(carol.state, 'LAUNCH_PENDING');
      assert.ok(!old.includes(carol.id));
      await fill();
      await settle(rt);
      await fill();
      await settle(rt);
      for (const id of old) assert.equal((await rt.ctx.stacks.get(id)).state, 'DELETED', 'a stack of the old template stayed');
      const fresh = await poolRows();
      assert.equal(fresh.filter((s) => s.state === 'SUSPENDED').length, 2);
      assert.ok(fresh.every((s) => s.templateHash === templateHash(changed)));
      catalog.set([pooled, testLab({ id: 'plain' })]);
    });

    test('a lab without a pool setting launches exactly as before; the filler leaves it alone', async () => {
      const dave = await launch('dave', 'plain');
      assert.equal(dave.state, 'LAUNCH_PENDING');
      assert.equal(dave.claimedAt, null);
      await fill();
      assert.equal((await poolRows('plain')).length, 0);
    });

    test('concurrent first launches of many learners never share a pool stack', async () => {
      await fill();
      await settle(rt);
      const ready = (await poolRows()).filter((s) => s.state === 'SUSPENDED' || s.state === 'READY').map((s) => s.id);
      const learners = Array.from({ length: 8 }, (_, i) => `class-${i}`);
      const stacks = await Promise.all(learners.map((l) => launch(l)));
      assert.equal(new Set(stacks.map((s) => s.id)).size, learners.length, 'two learners got one stack');
      const fromPool = stacks.filter((s) => ready.includes(s.id));
      assert.equal(fromPool.length, ready.length, 'the pool was not used up before plain launches');
      assert.ok(stacks.every((s, i) => s.learner === learners[i]));
      await settle(rt);
    });

    test('pool stacks count against provider capacity: the filler stops at a full provider', async () => {
      const capped = testLab({ id: 'capped', pool: { size: 5, state: 'suspended', perRun: false, runs: [] }, providers: [{ name: 'fake', capacity: 0, template: T, templateFile: 'template.yaml' }] });
      const occupied = await rt.ctx.stacks.store.countOnProvider('fake', ['CREATING', 'READY', 'SUSPENDED', 'SUSPEND_PENDING', 'SUSPENDING', 'RESUME_PENDING', 'RESUMING']);
      capped.providers[0]!.capacity = occupied + 2;
      catalog.set([pooled, testLab({ id: 'plain' }), capped]);
      await fill();
      await fill();
      assert.equal((await poolRows('capped')).length, 2, 'the filler launched past the free places');
      catalog.set([pooled, testLab({ id: 'plain' })]);
    });

    test("the cost report bills a pool stack's time before its claim to the pool, after it to the learner", async () => {
      for (let pass = 0; pass < 2; pass++) {
        await fill();
        await settle(rt);
      }
      rt.clock.advance(1800);
      const erin = await launch('erin');
      assert.ok(erin.claimedAt, 'the pool had nothing ready');
      await settle(rt);
      rt.clock.advance(3600);
      const { CostReports } = await import('../../src/services/cost-report.ts');
      const report = await new CostReports({ db: rt.ctx.db, labs: rt.ctx.labs, prices: undefined }).report({ lab: 'pooled' }, rt.clock.now());
      assert.ok(!report.rows.some((r) => isPoolLearner(r.learner)), 'a pool stack was billed under its reserved id');
      const pool = report.rows.filter((r) => r.learner === 'pool');
      assert.ok(pool.length > 0 && pool.every((r) => r.context === ''), 'no pool rows, or pool rows in a course');
      assert.ok(pool.reduce((n, r) => n + r.billedHours.suspended, 0) >= 0.5, "the pool's suspended time is missing");
      const hers = report.rows.filter((r) => r.learner === 'erin');
      assert.equal(hers.length, 1);
      // Her stack waited suspended in the pool for half an hour before her claim: that half hour is not hers.
      assert.ok(Math.abs(hers[0]!.billedHours.total - 1) < 0.01, `erin was billed ${hers[0]!.billedHours.total} h for one hour since her claim`);
      assert.equal(hers[0]!.billedHours.suspended, 0);
    });
  });
}
