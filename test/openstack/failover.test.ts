/**
 * Capacity and failover across two OpenStack providers on the real Keystone + Heat: a cloud that
 * refuses the credentials, a disabled one, a full one, and a suspended stack that must come back
 * where it lives. The orchestrator does this (services/operations.ts); these tests hold it to it
 * with real Heat answers instead of the fake's.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { LabProvider } from '../../src/domain/lab.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { HEAT_MISSING, demoOptions, ensureHeat } from './heat-env.ts';
import { OK_TEMPLATE } from './templates.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureHeat();

/** The provider with every call it receives written down, to show which cloud was asked. */
function watched(provider: OpenStackProvider, calls: string[]): OpenStackProvider {
  const ops = ['create', 'get', 'suspend', 'resume', 'delete', 'list'] as const;
  const copy = { ...provider };
  for (const op of ops) {
    const real = provider[op] as (...args: unknown[]) => unknown;
    Object.assign(copy, { [op]: (...args: unknown[]) => (calls.push(op), real(...args)) });
  }
  return copy;
}

describe('failover between OpenStack providers on a real Heat', { skip: skipUnless(env !== null, HEAT_MISSING) }, () => {
  /** Every runtime a test made, closed and emptied on Heat at the end even when the test failed. */
  const worlds: Array<{ rt: TestRuntime; heat: OpenStackProvider }> = [];

  after(async () => {
    for (const { rt, heat } of worlds) {
      const rows = await rt.ctx.stacks.list({}).catch(() => [] as Stack[]);
      await rt.close();
      for (const row of rows) await deleteAndWait(heat, { id: row.providerStackId ?? '', name: row.providerStackName });
    }
  });

  const cloud = (name: string, password = 'demopass') => {
    const options = demoOptions(env!);
    return createOpenStackProvider(name, { ...options, auth: { ...options.auth!, password } });
  };

  /** A runtime whose one lab lists `entries` in order, with the worker running. */
  async function world(providers: OpenStackProvider[], capacities: number[]): Promise<TestRuntime> {
    const entries: LabProvider[] = providers.map((p, i) => ({ name: p.name, capacity: capacities[i]!, template: OK_TEMPLATE, templateFile: 'template.yaml' }));
    const rt = await testRuntime({
      providers,
      labs: [testLab({ id: 'os-failover', template: OK_TEMPLATE, providers: entries, timeouts: { launch: 300, suspend: 120, deleteAge: 3600, check: 120, remoteExec: 300 } })],
      overrides: { poll_interval: 0.2 },
    });
    worlds.push({ rt, heat: providers.at(-1)! });
    rt.worker.start();
    return rt;
  }

  const launch = (rt: TestRuntime, learner: string) => rt.ctx.stacks.launch({ learner, context: 'course-v1:Org+FO+2026', lab: 'os-failover', actor: 'test' });
  const ready = (rt: TestRuntime, id: string) => rt.ctx.stacks.waitForState(id, ['READY'], 90_000, 200);
  const heatStatus = async (heat: OpenStackProvider, name: string) => {
    const s = await heat.get({ id: '', name });
    return s ? `${s.action}_${s.status}` : 'GONE';
  };

  test('a cloud that refuses the credentials: the launch lands on the next one, and the refusal is in the events', async () => {
    const bad = cloud('bad-cloud', 'not-the-password');
    const good = cloud('good-cloud');
    const rt = await world([bad, good], [-1, -1]);
    const stack = await launch(rt, 'alice');
    const done = await ready(rt, stack.id);
    assert.equal(done.provider, 'good-cloud');
    assert.equal(done.publicIp, '203.0.113.7');
    assert.equal(done.error, null, 'a launch that succeeded in the end shows no error');
    assert.equal(await heatStatus(good, done.providerStackName), 'CREATE_COMPLETE');

    const events = await rt.ctx.stacks.events(stack.id);
    assert.deepEqual(events.map((e) => e.toState), ['LAUNCH_PENDING', 'CREATING', 'LAUNCH_PENDING', 'CREATING', 'READY']);
    const handover = events[2]!;
    console.error(`# recorded: ${handover.reason}`);
    assert.match(handover.reason, /bad-cloud/);
    assert.match(handover.reason, /refused stacklab's credentials; the operator needs to check them; trying/);
    assert.match(handover.reason, /trying 'good-cloud' next/);
    assert.ok(!handover.reason.includes('not-the-password'), 'the wrong password was written into the history');
  });

  test('a provider with capacity 0 is skipped without a call', async () => {
    const offCalls: string[] = [];
    const off = watched(cloud('off-cloud'), offCalls);
    const good = cloud('good-cloud');
    const rt = await world([off, good], [0, -1]);
    const stack = await launch(rt, 'bob');
    const done = await ready(rt, stack.id);
    assert.equal(done.provider, 'good-cloud');
    assert.deepEqual((await rt.ctx.stacks.events(stack.id)).map((e) => e.toState), ['LAUNCH_PENDING', 'CREATING', 'READY']);
    assert.deepEqual(offCalls, [], 'the disabled cloud was called');
  });

  test('capacity 1 with two learners at once: one on each cloud; a suspended stack resumes where it lives', async () => {
    const one = cloud('cloud-one');
    const two = cloud('cloud-two');
    const rt = await world([one, two], [1, -1]);
    const [a, b] = await Promise.all([launch(rt, 'carol'), launch(rt, 'dave')]);
    const [ra, rb] = await Promise.all([ready(rt, a.id), ready(rt, b.id)]);
    assert.deepEqual([ra.provider, rb.provider].sort(), ['cloud-one', 'cloud-two'], 'capacity 1 was overshot or not used');
    const onOne = ra.provider === 'cloud-one' ? ra : rb;
    const firstName = onOne.providerStackName;

    await rt.ctx.stacks.requestSuspend(onOne.id, 'test');
    await rt.ctx.stacks.waitForState(onOne.id, ['SUSPENDED'], 60_000, 200);
    assert.equal(await heatStatus(one, firstName), 'SUSPEND_COMPLETE');

    // cloud-one is full (its suspended stack still holds its place): a new launch would go to cloud-two,
    // the comeback must not.
    const back = await launch(rt, onOne.learner);
    assert.equal(back.state, 'RESUME_PENDING');
    const resumed = await ready(rt, onOne.id);
    assert.equal(resumed.provider, 'cloud-one');
    assert.equal(resumed.providerStackName, firstName, 'the comeback built a new stack instead of resuming');
    assert.equal(resumed.providerStackId, onOne.providerStackId);
    assert.equal(await heatStatus(one, firstName), 'RESUME_COMPLETE');
    const third = await launch(rt, 'erin');
    assert.equal((await ready(rt, third.id)).provider, 'cloud-two', 'cloud-one took a second stack past its capacity');
  });
});
