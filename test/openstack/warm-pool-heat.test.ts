/**
 * A warm pool on the real Keystone + Heat (scripts/setup-heat.sh) through stacklab's own runtime: a
 * Heat-only lab whose template takes `run`, so the pool is kept per course run. The filler creates
 * and suspends the pool's stacks on Heat; a learner's first launch in that run takes one and it is
 * READY after a resume, faster than a plain create of the same template in another run, measured
 * side by side. The stacks have no servers to log in to, so the personalization hook is recorded
 * here; it runs over SSH in test/lxc/warm-pool.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { HEAT_MISSING, demoOptions, ensureHeat } from './heat-env.ts';
import { OK_TEMPLATE } from './templates.ts';
import { deleteAndWait } from './wait-stack.ts';

const env = await ensureHeat();
const PROVIDER = 'openstack';
const CONTEXT = 'course-v1:Org+Heat+2026';

describe('a warm pool on a real Heat', { skip: skipUnless(env !== null, HEAT_MISSING), concurrency: false }, () => {
  let rt: TestRuntime;
  let os: OpenStackProvider;
  const personalized: string[] = [];
  const lab = testLab({
    id: 'heat-pool',
    template: OK_TEMPLATE,
    providers: [{ name: PROVIDER, capacity: -1, template: OK_TEMPLATE, templateFile: 'template.yaml' }],
    pool: { size: 2, state: 'suspended', perRun: true, runs: ['run-A'] },
  });

  before(async () => {
    os = createOpenStackProvider(PROVIDER, demoOptions(env!, { request_timeout_seconds: 60 }));
    rt = await testRuntime({ providers: [os], labs: [lab], overrides: { poll_interval: 0.2 } });
    rt.ctx.lifecycleHooks.personalize = async (stack) => void personalized.push(stack.id);
    rt.worker.start();
  });

  after(async () => {
    const all = await rt.ctx.stacks.list({ lab: lab.id, limit: 100 });
    await rt?.close();
    for (const s of all) if (s.providerStackId) await deleteAndWait(os, { id: s.providerStackId, name: s.providerStackName }, 120_000);
  });

  const poolRows = async () => (await rt.ctx.stacks.list({ lab: lab.id, limit: 100 })).filter((s) => s.pool && s.state !== 'DELETED');
  /** Runs filler passes until the pool holds `n` suspended stacks (each pass waits for the work it started). */
  const filled = async (n: number) => {
    for (let pass = 0; pass < 4; pass++) {
      await rt.scheduler.runJob('warm pools');
      for (const s of await poolRows()) await rt.ctx.stacks.waitForState(s.id, ['READY', 'SUSPENDED'], 120_000, 200);
      if ((await poolRows()).filter((s) => s.state === 'SUSPENDED').length === n) return;
    }
    assert.fail(`the pool did not fill: ${JSON.stringify((await poolRows()).map((s) => s.state))}`);
  };

  test("the pool fills on Heat, per course run, and a first launch in that run is READY sooner than a plain create", async () => {
    await filled(2);
    for (const s of await poolRows()) {
      assert.equal(s.run, 'run-A');
      const onHeat = await os.get({ id: s.providerStackId!, name: s.providerStackName });
      assert.equal(`${onHeat?.action}_${onHeat?.status}`, 'SUSPEND_COMPLETE', 'Heat does not hold the pool stack suspended');
      assert.equal(onHeat?.outputs.run, 'run-A', 'the pool stack was not made for its course run');
    }

    let t0 = Date.now();
    const claimed = await rt.ctx.stacks.launch({ learner: 'grace', context: CONTEXT, run: 'run-A', lab: lab.id, actor: 'test' });
    await rt.ctx.stacks.waitForState(claimed.id, ['READY'], 120_000, 50);
    const claimMs = Date.now() - t0;
    t0 = Date.now();
    const plain = await rt.ctx.stacks.launch({ learner: 'grace', context: `${CONTEXT}-B`, run: 'run-B', lab: lab.id, actor: 'test' });
    await rt.ctx.stacks.waitForState(plain.id, ['READY'], 120_000, 50);
    const plainMs = Date.now() - t0;
    console.error(`# heat: READY from a suspended pool stack in ${claimMs} ms, from a plain create in ${plainMs} ms`);

    assert.ok(claimed.claimedAt, 'the launch in run-A did not take from the pool');
    assert.equal(plain.claimedAt, null, 'run-B has no pool, yet its launch took a stack');
    assert.ok(personalized.includes(claimed.id));
    const ready = await rt.ctx.stacks.get(claimed.id);
    assert.equal(ready.learner, 'grace');
    assert.equal(ready.outputs.run, 'run-A');
    assert.ok(claimMs < plainMs, `a claim (${claimMs} ms) was not faster than a create (${plainMs} ms)`);
    // The pool refills behind the claim.
    await filled(2);
  });
});
