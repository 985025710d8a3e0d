import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { deploymentPrefix } from '../../src/providers/stack-names.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';

/** Holds the provider's next status read until released; `reached` resolves when a read is waiting. */
function holdStatusReads(provider: FakeProvider): { reached: Promise<void>; release(): void } {
  const original = provider.get.bind(provider);
  let reached!: () => void;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  provider.get = async (ref) => {
    reached();
    await released;
    return original(ref);
  };
  return {
    reached: arrived,
    release() {
      provider.get = original;
      release();
    },
  };
}

for (const backend of BACKENDS) {
  describe(`lifecycle on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let fake: FakeProvider;
    before(async () => {
      fake = new FakeProvider('fake');
      rt = await testRuntime({ backend, providers: [fake], labs: [testLab()] });
    });
    after(async () => rt?.close());
    const launch = (learner: string, lab = 'demo') => rt.ctx.stacks.launch({ learner, context: 'course-v1:Org+C1+2026', lab, actor: 'test' });

    test('launching twice returns the same stack, and the worker makes it READY with its outputs', async () => {
      const a = await launch('alice');
      const b = await launch('alice');
      assert.equal(a.id, b.id);
      await settle(rt);
      const ready = await rt.ctx.stacks.get(a.id);
      assert.equal(ready.state, 'READY');
      assert.equal(ready.publicIp, '192.0.2.10');
      assert.equal(fake.calls.filter((c) => c.op === 'create').length, 1);
      assert.equal(ready.outputs.private_key, undefined, 'a secret leaked into the visible outputs');
    });

    test('private key and password are stored encrypted, and decrypt for the gateway', async () => {
      const [stack] = await rt.ctx.stacks.list({ learner: 'alice' });
      const raw = await rt.ctx.db.query<{ secrets: string }>('SELECT secrets FROM stacks WHERE id = $1', [stack!.id]);
      assert.ok(raw[0]!.secrets.startsWith('v1.'));
      assert.ok(!raw[0]!.secrets.includes('FAKE KEY'));
      const secrets = await rt.ctx.stacks.secrets(stack!.id);
      assert.match(secrets.privateKey!, /FAKE KEY/);
    });

    test('the suspender suspends an idle stack and leaves an active one alone', async () => {
      const bob = await launch('bob');
      await settle(rt);
      const [alice] = await rt.ctx.stacks.list({ learner: 'alice' });
      rt.clock.advance(100);
      await rt.ctx.stacks.keepalive(bob.id, 'test');
      rt.clock.advance(30); // alice: 130 s idle; bob: 30 s since keepalive
      const stats = await rt.scheduler.run('suspender');
      assert.equal(stats.acted, 1);
      assert.equal((await rt.ctx.stacks.get(alice!.id)).state, 'SUSPEND_PENDING');
      assert.equal((await rt.ctx.stacks.get(bob.id)).state, 'READY');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(alice!.id)).state, 'SUSPENDED');
    });

    test('keepalives leave the indexed review times alone; the sweeps move them and judge by last activity', async () => {
      const [bob] = await rt.ctx.stacks.list({ learner: 'bob' });
      const stored = async () =>
        (await rt.ctx.db.query<{ suspend_at: Date; delete_by: Date }>('SELECT suspend_at, delete_by FROM stacks WHERE id = $1', [bob!.id]))[0]!;
      const before = await stored();
      // Ten minutes of keepalives every 60 s: five times the suspend timeout, with sweeps in between.
      for (let i = 0; i < 10; i++) {
        rt.clock.advance(60);
        const kept = await rt.ctx.stacks.keepalive(bob!.id, 'test');
        assert.equal(kept.suspendAt!.getTime(), rt.clock.now().getTime() + 120_000, 'the shown deadline follows the keepalive');
        if (i === 0) assert.deepEqual(await stored(), before, 'a keepalive wrote an indexed column');
        await rt.scheduler.run('suspender');
        await rt.scheduler.run('reaper');
        assert.equal((await rt.ctx.stacks.get(bob!.id)).state, 'READY', `suspended while active (minute ${i + 1})`);
      }
      assert.ok((await stored()).suspend_at > before.suspend_at, 'the suspender never moved the review time forward');
      // A delete review time long past, with recent activity: the reaper moves it instead of deleting.
      await rt.ctx.db.query(`UPDATE stacks SET delete_by = $2 WHERE id = $1`, [bob!.id, new Date(rt.clock.now().getTime() - 3600_000)]);
      await rt.scheduler.run('reaper');
      assert.equal((await rt.ctx.stacks.get(bob!.id)).state, 'READY', 'the reaper deleted an active stack');
      assert.ok((await stored()).delete_by > rt.clock.now(), 'the reaper did not move the delete review time');
      // Idle past the real deadline: suspended on the next sweep.
      rt.clock.advance(121);
      await rt.scheduler.run('suspender');
      assert.equal((await rt.ctx.stacks.get(bob!.id)).state, 'SUSPEND_PENDING');
      await rt.ctx.stacks.keepalive(bob!.id, 'test'); // back to READY for the next test
    });

    test('an explicit suspend_by is honoured even with keepalives', async () => {
      const [bob] = await rt.ctx.stacks.list({ learner: 'bob' });
      await rt.ctx.db.query('UPDATE stacks SET suspend_by = $2 WHERE id = $1', [bob!.id, rt.clock.now()]);
      await rt.ctx.stacks.keepalive(bob!.id, 'test');
      await rt.scheduler.run('suspender');
      assert.equal((await rt.ctx.stacks.get(bob!.id)).state, 'SUSPEND_PENDING');
      // A keepalive before a worker picked it up cancels the pending suspend.
      await rt.ctx.db.query('UPDATE stacks SET suspend_by = NULL WHERE id = $1', [bob!.id]);
      assert.equal((await rt.ctx.stacks.keepalive(bob!.id, 'test')).state, 'READY');
    });

    test('coming back to a suspended stack resumes it', async () => {
      const again = await launch('alice');
      assert.equal(again.state, 'RESUME_PENDING');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(again.id)).state, 'READY');
      assert.deepEqual(fake.calls.filter((c) => c.name === again.providerStackName).map((c) => c.op), ['create', 'suspend', 'resume']);
    });

    test('the reaper deletes an abandoned stack but not one that was resumed since', async () => {
      const [alice] = await rt.ctx.stacks.list({ learner: 'alice' });
      await rt.ctx.stacks.requestSuspend(alice!.id, 'test');
      await settle(rt);
      const carol = await launch('carol');
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(carol.id, 'test');
      await settle(rt);
      rt.clock.advance(14 * 24 * 3600 - 60);
      // alice comes back just before her delete age; carol never does.
      await launch('alice');
      await settle(rt);
      rt.clock.advance(120);
      await rt.scheduler.run('reaper');
      assert.equal((await rt.ctx.stacks.get(carol.id)).state, 'DELETE_PENDING');
      assert.equal((await rt.ctx.stacks.get(alice!.id)).state, 'READY');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(carol.id)).state, 'DELETED');
    });

    test('launching a deleted stack launches it again under a new provider name', async () => {
      const [carol] = await rt.ctx.stacks.list({ learner: 'carol' });
      const again = await launch('carol');
      assert.equal(again.id, carol!.id);
      assert.equal(again.state, 'LAUNCH_PENDING');
      assert.notEqual(again.providerStackName, carol!.providerStackName);
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(again.id)).state, 'READY');
    });

    test('reset needs the typed confirmation, then deletes and launches again', async () => {
      const [carol] = await rt.ctx.stacks.list({ learner: 'carol' });
      await assert.rejects(rt.ctx.stacks.reset(carol!.id, 'yes', 'test'), /RESET/);
      assert.equal((await rt.ctx.stacks.reset(carol!.id, 'RESET', 'test')).state, 'DELETE_PENDING');
      await settle(rt);
      const after = await rt.ctx.stacks.get(carol!.id);
      assert.equal(after.state, 'READY');
      const path = (await rt.ctx.stacks.events(carol!.id)).map((e) => e.toState).slice(-6);
      assert.deepEqual(path, ['DELETE_PENDING', 'DELETING', 'DELETED', 'LAUNCH_PENDING', 'CREATING', 'READY']);
    });

    test('the watchdog fails an operation stuck past its timeout, with a message', async () => {
      fake.configure({ never_ready: true });
      const dave = await launch('dave');
      // The watchdog skips a row another transaction has locked (FOR UPDATE SKIP LOCKED; the next sweep
      // takes it), and the polling worker locks the row briefly at every step (provider choice, saving
      // the provider's id, each lease renewal). Wait until the worker sits in a status read, holding no
      // lock, so this one sweep must act.
      const parked = holdStatusReads(fake);
      await rt.worker.tick(); // claimed, create sent, polling forever
      await parked.reached;
      rt.clock.advance(901);
      const stats = await rt.scheduler.run('watchdog');
      parked.release();
      assert.equal(stats.acted, 1);
      const failed = await rt.ctx.stacks.get(dave.id);
      assert.equal(failed.state, 'LAUNCH_FAILED');
      assert.match(failed.error!, /did not finish in time/);
      await rt.worker.drain(); // the polling worker's next renewal finds the lease gone, and it stops
      fake.configure({ never_ready: false });
      assert.equal((await rt.ctx.stacks.get(dave.id)).state, 'LAUNCH_FAILED');
    });

    test('the reconciler deletes zombies and corrects drift', async () => {
      // A zombie: the provider has a stack of this deployment that the store does not know.
      const zombie = `${deploymentPrefix(rt.ctx.deployment)}zombie-1`;
      await fake.create({ name: zombie, deployment: rt.ctx.deployment, template: T, parameters: {}, timeoutSeconds: 60 });
      // Drift: the provider suspended a stack the store thinks is READY.
      const [alice] = await rt.ctx.stacks.list({ learner: 'alice' });
      await fake.suspend({ id: alice!.providerStackId!, name: alice!.providerStackName });
      rt.clock.advance(3600);
      const stats = await rt.scheduler.run('reconciler');
      assert.ok(stats.acted >= 2, JSON.stringify(stats));
      assert.equal((await fake.list()).some((s) => s.name === zombie && s.action !== 'DELETE'), false);
      assert.equal((await rt.ctx.stacks.get(alice!.id)).state, 'SUSPENDED');
    });
  });
}

describe('capacity and failover', () => {
  test('capacity N caps occupying stacks; the next launch moves to the next provider', async () => {
    const small = new FakeProvider('small');
    const big = new FakeProvider('big');
    const lab = testLab({ providers: [{ name: 'small', capacity: 1, template: T, templateFile: 't' }, { name: 'big', capacity: -1, template: T, templateFile: 't' }] });
    const rt = await testRuntime({ providers: [small, big], labs: [lab] });
    try {
      const a = await rt.ctx.stacks.launch({ learner: 'a', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      const b = await rt.ctx.stacks.launch({ learner: 'b', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(a.id)).provider, 'small');
      assert.equal((await rt.ctx.stacks.get(b.id)).provider, 'big');
      assert.equal(small.calls.filter((c) => c.op === 'create').length, 1, 'capacity exceeded');
    } finally {
      await rt.close();
    }
  });

  test('capacity 0 disables a provider; all disabled fails with a message', async () => {
    const off = new FakeProvider('off');
    const lab = testLab({ providers: [{ name: 'off', capacity: 0, template: T, templateFile: 't' }] });
    const rt = await testRuntime({ providers: [off], labs: [lab] });
    try {
      const a = await rt.ctx.stacks.launch({ learner: 'a', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      const failed = await rt.ctx.stacks.get(a.id);
      assert.equal(failed.state, 'LAUNCH_FAILED');
      assert.match(failed.error!, /disabled/);
      assert.equal(off.calls.length, 0);
    } finally {
      await rt.close();
    }
  });

  test('a failing provider fails over to the next one, cleaning up after itself', async () => {
    const broken = new FakeProvider('broken', { fail: ['create'] });
    const refusing = new FakeProvider('refusing', { throw_on: ['create'] });
    const good = new FakeProvider('good');
    const lab = testLab({
      providers: [
        { name: 'broken', capacity: -1, template: T, templateFile: 't' },
        { name: 'refusing', capacity: -1, template: T, templateFile: 't' },
        { name: 'good', capacity: -1, template: T, templateFile: 't' },
      ],
    });
    const rt = await testRuntime({ providers: [broken, refusing, good], labs: [lab] });
    try {
      const a = await rt.ctx.stacks.launch({ learner: 'a', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      const ready = await rt.ctx.stacks.get(a.id);
      assert.equal(ready.state, 'READY');
      assert.equal(ready.provider, 'good');
      assert.deepEqual(broken.calls.map((c) => c.op), ['create', 'delete'], 'the failed stack was not cleaned up');
      assert.equal(refusing.calls.length, 1);
      assert.equal((await broken.list()).filter((s) => s.action !== 'DELETE').length, 0);
    } finally {
      await rt.close();
    }
  });

  test('when every provider fails the launch fails with the last reason', async () => {
    const broken = new FakeProvider('broken', { fail: ['create'] });
    const lab = testLab({ providers: [{ name: 'broken', capacity: -1, template: T, templateFile: 't' }] });
    const rt = await testRuntime({ providers: [broken], labs: [lab] });
    try {
      const a = await rt.ctx.stacks.launch({ learner: 'a', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      const failed = await rt.ctx.stacks.get(a.id);
      assert.equal(failed.state, 'LAUNCH_FAILED');
      assert.match(failed.error!, /configured to fail/);
    } finally {
      await rt.close();
    }
  });

  test('a suspended stack resumes on the provider it lives on', async () => {
    const one = new FakeProvider('one');
    const two = new FakeProvider('two');
    const lab = testLab({ providers: [{ name: 'one', capacity: -1, template: T, templateFile: 't' }, { name: 'two', capacity: -1, template: T, templateFile: 't' }] });
    const rt = await testRuntime({ providers: [one, two], labs: [lab] });
    try {
      const a = await rt.ctx.stacks.launch({ learner: 'a', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(a.id, 't');
      await settle(rt);
      one.configure({ fail: ['create'] }); // new launches would go to two; resume must not
      await rt.ctx.stacks.launch({ learner: 'a', context: 'c', lab: 'demo', actor: 't' });
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(a.id)).state, 'READY');
      assert.deepEqual(one.calls.map((c) => c.op), ['create', 'suspend', 'resume']);
      assert.equal(two.calls.length, 0);
    } finally {
      await rt.close();
    }
  });
});
