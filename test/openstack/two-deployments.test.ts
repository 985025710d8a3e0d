/**
 * Two deployments in one OpenStack project (staging and production sharing a project, say), each
 * with its own store, on the real Keystone + Heat: every stack carries its deployment in its name
 * and as a Heat tag, and each reconciler deletes only its own zombies. A stack named before
 * deployments existed is left to whichever store holds it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import type { StackRef } from '../../src/providers/provider.ts';
import { deploymentPrefix } from '../../src/providers/stack-names.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { HEAT_MISSING, demoOptions, ensureHeat } from './heat-env.ts';
import { OK_TEMPLATE } from './templates.ts';
import { deleteAndWait, waitSettled } from './wait-stack.ts';

const env = await ensureHeat();
const MONTH_MS = 30 * 86400_000;

describe('two deployments in one project on a real Heat', { skip: skipUnless(env !== null, HEAT_MISSING), concurrency: false }, () => {
  let a: TestRuntime;
  let b: TestRuntime;
  let aHeat: OpenStackProvider;
  let bHeat: OpenStackProvider;
  const extra: StackRef[] = [];
  const lab = testLab({ id: 'os-two', template: OK_TEMPLATE, providers: [{ name: 'heat', capacity: -1, template: OK_TEMPLATE, templateFile: 'template.yaml' }] });

  const ready = async (rt: TestRuntime, learner: string) => {
    const launched = await rt.ctx.stacks.launch({ learner, context: 'course', lab: 'os-two', actor: 'test' });
    return rt.ctx.stacks.waitForState(launched.id, ['READY'], 120_000, 200);
  };
  const alive = async (provider: OpenStackProvider, ref: StackRef) => {
    const s = await provider.get(ref);
    return s ? `${s.action}_${s.status}` : 'GONE';
  };

  before(async () => {
    // Each deployment talks to Heat through its own provider, as two servers would.
    aHeat = createOpenStackProvider('heat', demoOptions(env!));
    bHeat = createOpenStackProvider('heat', demoOptions(env!));
    a = await testRuntime({ providers: [aHeat], labs: [lab], overrides: { poll_interval: 0.2 } });
    b = await testRuntime({ providers: [bHeat], labs: [lab], overrides: { poll_interval: 0.2 } });
    a.worker.start();
    b.worker.start();
  });
  after(async () => {
    for (const rt of [a, b]) {
      if (!rt) continue;
      for (const s of await rt.ctx.stacks.list({ limit: 100 })) if (s.providerStackId) extra.push({ id: s.providerStackId, name: s.providerStackName });
      await rt.close();
    }
    for (const ref of extra) await deleteAndWait(aHeat, ref);
  });

  test("A's stacks carry A's name and tag; B's reconciler, a month later, deletes B's own zombie and nothing of A's or from before", async () => {
    const one = await ready(a, 'alice');
    const two = await ready(a, 'bob');
    const aRefs = [one, two].map((s) => ({ id: s.providerStackId!, name: s.providerStackName }));
    const listed = await bHeat.list();
    for (const ref of aRefs) {
      assert.ok(ref.name.startsWith(deploymentPrefix(a.ctx.deployment)), ref.name);
      assert.equal(listed.find((s) => s.id === ref.id)?.deployment, a.ctx.deployment, 'Heat does not show the deployment tag');
    }
    const legacy = await aHeat.create({ name: `stacklab-${Math.random().toString(36).slice(2).padEnd(12, '0').slice(0, 12)}-1`, template: OK_TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    const bZombie = await bHeat.create({ name: `${deploymentPrefix(b.ctx.deployment)}zombie-1`, deployment: b.ctx.deployment, template: OK_TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    extra.push(legacy, bZombie);
    assert.equal(`${(await waitSettled(aHeat, legacy))?.status}`, 'COMPLETE');
    assert.equal(`${(await waitSettled(bHeat, bZombie))?.status}`, 'COMPLETE');

    b.clock.set(new Date(Date.now() + MONTH_MS));
    const stats = await b.scheduler.run('reconciler');
    assert.deepEqual(stats.errors, []);
    const zombieEnd = await waitSettled(bHeat, bZombie);
    assert.ok(!zombieEnd || `${zombieEnd.action}_${zombieEnd.status}` === 'DELETE_COMPLETE', "B's reconciler did not delete B's own zombie, so this test proves nothing");
    for (const ref of [...aRefs, legacy]) assert.equal(await alive(aHeat, ref), 'CREATE_COMPLETE', `${ref.name} was touched by B`);
    for (const s of [one, two]) assert.equal((await a.ctx.stacks.get(s.id)).state, 'READY');
  });

  test("B deleting and relaunching its own stacks, and A's reconciler a month later, leave the other's stacks alone", async () => {
    const mine = await ready(b, 'carol');
    await b.ctx.stacks.requestDelete(mine.id, 'test');
    await b.ctx.stacks.waitForState(mine.id, ['DELETED'], 120_000, 200);
    const again = await ready(b, 'carol');
    a.clock.set(new Date(Date.now() + MONTH_MS));
    assert.deepEqual((await a.scheduler.run('reconciler')).errors, []);
    const current = await b.ctx.stacks.get(again.id);
    assert.equal(current.state, 'READY');
    assert.equal(await alive(bHeat, { id: current.providerStackId!, name: current.providerStackName }), 'CREATE_COMPLETE');
    for (const s of await a.ctx.stacks.list({ state: ['READY'], limit: 100 })) assert.equal(await alive(aHeat, { id: s.providerStackId!, name: s.providerStackName }), 'CREATE_COMPLETE');
  });
});
