/**
 * Tiered dormancy through the whole orchestrator (sweeps, worker, store) on the fake provider: an idle
 * stack is suspended, then shelved once unused for its shelve time, then woken by the learner coming back;
 * a provider that cannot shelve keeps suspend-then-delete. The same steps on real Nova are in
 * test/openstack/shelve.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/http/app.ts';
import { stackView } from '../../src/http/routes/learner-view.ts';
import { issueSession } from '../../src/http/session.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';
const HOUR = 3600;

describe('tiered dormancy: suspend, then shelve, then delete', { concurrency: false }, () => {
  let rt: TestRuntime;
  let cloud: FakeProvider;
  let local: FakeProvider;
  before(async () => {
    cloud = new FakeProvider('cloud', { can_shelve: true, shelve_after: 2 * HOUR, unshelve_estimate_seconds: 240 });
    local = new FakeProvider('local');
    const labs = [
      testLab({ id: 'on-cloud', providers: [{ name: 'cloud', capacity: -1, template: T, templateFile: 't' }] }),
      testLab({ id: 'lab-says-1h', providers: [{ name: 'cloud', capacity: -1, template: T, templateFile: 't' }], timeouts: { ...testLab().timeouts, shelveAfter: HOUR } }),
      testLab({ id: 'on-local', providers: [{ name: 'local', capacity: -1, template: T, templateFile: 't' }], timeouts: { ...testLab().timeouts, shelveAfter: HOUR } }),
    ];
    rt = await testRuntime({ providers: [cloud, local], labs });
  });
  after(async () => rt?.close());
  const launch = (learner: string, lab: string) => rt.ctx.stacks.launch({ learner, context: 'course-v1:Org+D+2026', lab, actor: 'test' });
  const history = async (id: string) => (await rt.ctx.stacks.events(id)).map((e) => `${e.fromState ?? '-'}>${e.toState}`);

  test("an idle stack is suspended, then shelved after the provider's shelve time, then woken by an unshelve", async () => {
    const stack = await launch('ann', 'on-cloud');
    await settle(rt);
    const t0 = rt.clock.now().getTime();
    rt.clock.advance(121);
    await rt.scheduler.run('suspender');
    await settle(rt);
    const suspended = await rt.ctx.stacks.get(stack.id);
    assert.equal(suspended.state, 'SUSPENDED');
    assert.equal(suspended.shelveAfter, 2 * HOUR, "the provider's default, fixed as the suspend completed");
    assert.equal(suspended.shelveAt?.getTime(), t0 + 2 * HOUR * 1000, 'shelved two hours after the last activity');

    rt.clock.advance(2 * HOUR - 122);
    assert.equal((await rt.scheduler.run('suspender')).acted, 0, 'not before its shelve time');
    rt.clock.advance(1);
    assert.equal((await rt.scheduler.run('suspender')).acted, 1);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SHELVE_PENDING');
    await settle(rt);
    const shelved = await rt.ctx.stacks.get(stack.id);
    assert.equal(shelved.state, 'SHELVED');
    assert.equal(shelved.shelveAt, null);
    assert.equal(cloud.shelfOf(shelved.providerStackName), 'SHELVED');
    assert.notEqual(shelved.deleteBy, null, 'a shelved stack is still deleted after its delete age');

    // The learner is told the wake-up takes longer, with the provider's estimate.
    const view = stackView(shelved, rt.clock.now(), { unshelveEstimate: 240 });
    assert.equal(view.phase, 'suspended');
    assert.equal(view.wakeEstimateSeconds, 240);
    assert.match(view.message, /deep sleep.*about 4 minutes/);

    const back = await launch('ann', 'on-cloud');
    assert.equal(back.state, 'UNSHELVE_PENDING');
    assert.equal(stackView(back, rt.clock.now(), { unshelveEstimate: 240 }).phase, 'resuming');
    await settle(rt);
    const ready = await rt.ctx.stacks.get(stack.id);
    assert.equal(ready.state, 'READY');
    assert.equal(cloud.shelfOf(ready.providerStackName), undefined);
    assert.equal(ready.shelveAt, null);
    assert.deepEqual(
      cloud.calls.filter((c) => c.name === ready.providerStackName).map((c) => c.op).filter((op, i, all) => op !== all[i - 1]),
      ['create', 'suspend', 'shelve', 'unshelve', 'resume'],
      'one stack throughout: shelved in steps, then unshelved and resumed',
    );
    assert.deepEqual(await history(stack.id), [
      '->LAUNCH_PENDING',
      'LAUNCH_PENDING>CREATING',
      'CREATING>READY',
      'READY>SUSPEND_PENDING',
      'SUSPEND_PENDING>SUSPENDING',
      'SUSPENDING>SUSPENDED',
      'SUSPENDED>SHELVE_PENDING',
      'SHELVE_PENDING>SHELVING',
      'SHELVING>SHELVED',
      'SHELVED>UNSHELVE_PENDING',
      'UNSHELVE_PENDING>UNSHELVING',
      'UNSHELVING>READY',
    ]);
  });

  test("a lab's own shelve time wins over the provider's; activity while suspended moves it", async () => {
    const stack = await launch('bea', 'lab-says-1h');
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    const suspended = await rt.ctx.stacks.get(stack.id);
    assert.equal(suspended.shelveAfter, HOUR);
    rt.clock.advance(HOUR - 60);
    await rt.ctx.stacks.keepalive(stack.id, 'test'); // the page was open: activity, not a resume
    rt.clock.advance(120);
    await rt.scheduler.run('suspender');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED', 'activity pushed the shelve back');
    rt.clock.advance(HOUR);
    await rt.scheduler.run('suspender');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SHELVE_PENDING');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SHELVED');
  });

  test('a failed shelve leaves the stack to retry, and the learner coming back wakes it all the same', async () => {
    const stack = await launch('cid', 'on-cloud');
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    cloud.configure({ fail: ['shelve'] });
    rt.clock.advance(2 * HOUR + 1);
    await rt.scheduler.run('suspender');
    await settle(rt);
    const failed = await rt.ctx.stacks.get(stack.id);
    assert.equal(failed.state, 'SHELVE_FAILED');
    assert.equal(failed.errorCode, 'SHELVE_FAILED');
    assert.equal(failed.attempts, 1);
    assert.equal(stackView(failed, rt.clock.now()).phase, 'suspended', 'to the learner it is a suspended lab');
    cloud.configure({ fail: [] });
    await launch('cid', 'on-cloud');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
  });

  test('the watchdog fails a wake-up that takes too long, and the learner can try again', async () => {
    const stack = await launch('dee', 'on-cloud');
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    rt.clock.advance(2 * HOUR + 1);
    await rt.scheduler.run('suspender');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SHELVED');
    // A worker claims the wake-up and dies: UNSHELVING with a deadline the clock then passes.
    await launch('dee', 'on-cloud');
    const [claimed] = await rt.ctx.stacks.store.claim({ worker: 'dead', now: rt.clock.now(), leaseUntil: rt.clock.now(), limit: 1, suspendTaskTimeout: 900, deleteTaskTimeout: 900, shelveTaskTimeout: 1800 });
    assert.equal(claimed?.state, 'UNSHELVING');
    rt.clock.advance(1801);
    assert.equal((await rt.scheduler.run('watchdog')).acted, 1);
    const timedOut = await rt.ctx.stacks.get(stack.id);
    assert.deepEqual([timedOut.state, timedOut.errorCode], ['UNSHELVE_FAILED', 'TIMEOUT']);
    assert.equal(stackView(timedOut, rt.clock.now()).action, 'retry');
    await launch('dee', 'on-cloud');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
  });

  test('a provider that cannot shelve keeps suspend-then-delete, whatever the lab says', async () => {
    const stack = await launch('eve', 'on-local');
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    const suspended = await rt.ctx.stacks.get(stack.id);
    assert.deepEqual([suspended.state, suspended.shelveAfter, suspended.shelveAt], ['SUSPENDED', 0, null]);
    rt.clock.advance(10 * 24 * HOUR);
    await rt.scheduler.run('suspender');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
    assert.deepEqual(local.calls.map((c) => c.op), ['create', 'suspend']);
    rt.clock.advance(5 * 24 * HOUR);
    await rt.scheduler.run('reaper');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'DELETE_PENDING', 'deleted after its delete age, as before');
  });

  test('the reconciler writes off a shelved stack its provider no longer has, and leaves a live one alone', async () => {
    const stack = await launch('fay', 'on-cloud');
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    rt.clock.advance(2 * HOUR + 1);
    await rt.scheduler.run('suspender');
    await settle(rt);
    const shelved = await rt.ctx.stacks.get(stack.id);
    assert.equal(shelved.state, 'SHELVED');
    rt.clock.advance(3600);
    await rt.scheduler.run('reconciler');
    assert.equal((await rt.ctx.stacks.get(shelved.id)).state, 'SHELVED', 'Heat still has it (suspended): nothing to correct');
    await cloud.delete({ id: shelved.providerStackId!, name: shelved.providerStackName });
    await cloud.get({ id: shelved.providerStackId!, name: shelved.providerStackName });
    await rt.scheduler.run('reconciler');
    assert.equal((await rt.ctx.stacks.get(shelved.id)).state, 'DELETED');
  });
});

for (const backend of BACKENDS) {
  describe(`the learner's wake-up estimate on ${backend}: the provider's until there are three wake-ups, then their median`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    test('over the learner API, for a stack shelved and woken again and again', async () => {
      const cloud = new FakeProvider('cloud', { can_shelve: true, shelve_after: 2 * HOUR, unshelve_estimate_seconds: 240 });
      const rt = await testRuntime({ backend, providers: [cloud], labs: [testLab({ id: 'on-cloud', providers: [{ name: 'cloud', capacity: -1, template: T, templateFile: 't' }] })] });
      const app = await buildApp(rt.ctx);
      try {
        const session = await issueSession(rt.ctx.keys, { learner: 'gus', context: 'c1', roles: ['Learner'] }, 30 * 24 * HOUR);
        const call = async (method: 'GET' | 'POST', url: string) => {
          const res = await app.inject({ method, url, headers: { authorization: `Bearer ${session}` } });
          assert.equal(res.statusCode, 200, res.body);
          return res.json() as { id: string; state: string; phase: string; message: string; wakeEstimateSeconds: number | null };
        };
        const { id } = await call('POST', '/api/v1/me/labs/on-cloud/launch');
        await settle(rt);
        const shelve = async () => {
          await rt.ctx.stacks.requestSuspend(id, 'test');
          await settle(rt);
          assert.equal((await call('GET', `/api/v1/me/stacks/${id}`)).wakeEstimateSeconds, null, 'a suspended lab wakes as fast as a resume: no estimate');
          rt.clock.advance(2 * HOUR + 1);
          await rt.scheduler.run('suspender');
          await settle(rt);
        };
        await shelve();
        const shelved = await call('GET', `/api/v1/me/stacks/${id}`);
        assert.deepEqual([shelved.state, shelved.phase, shelved.wakeEstimateSeconds], ['SHELVED', 'suspended', 240], "the provider's configured estimate");
        assert.match(shelved.message, /about 4 minutes/);
        // Three wake-ups that took 60, 90 and 300 s from the learner's request to READY.
        for (const took of [60, 90, 300]) {
          const waking = await call('POST', `/api/v1/me/stacks/${id}/resume`);
          assert.deepEqual([waking.state, waking.phase], ['UNSHELVE_PENDING', 'resuming']);
          assert.ok(waking.wakeEstimateSeconds! > 0, 'the page shows an estimate while it wakes');
          rt.clock.advance(took);
          await settle(rt);
          assert.equal((await rt.ctx.stacks.get(id)).state, 'READY');
          await shelve();
        }
        const measured = await call('GET', `/api/v1/me/stacks/${id}`);
        assert.equal(measured.wakeEstimateSeconds, 90, 'the median of the wake-ups this deployment saw');
        assert.match(measured.message, /about 2 minutes/);
      } finally {
        await app.close();
        await rt.close();
      }
    });
  });
}
