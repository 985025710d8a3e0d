/**
 * A scheduled class on the local runtime, end to end through stacklab's own runtime on an injected
 * clock: nothing is made before the class's lead time; from it the filler launches the pool's stack for
 * the learner expected, a real container, and suspends it (frozen); after the class it is deleted and
 * the container is gone from the provider's list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lab } from '../../src/domain/lab.ts';
import { skipUnless } from '../support/prerequisite.ts';
import type { TestRuntime } from '../support/test-runtime.ts';
import { lxcMissing, testProvider } from './support.ts';
import { deleteLabStacks, pooledSingleServer } from './lab-runtime-cleanup.ts';

const missing = await lxcMissing();

describe('lxc: a scheduled class fills the pool ahead and drains it after', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  let rt: TestRuntime;
  let lab: Lab;
  const provider = testProvider();
  const names: string[] = [];

  before(async () => {
    // No pool of its own: only the class fills it.
    ({ rt, lab } = await pooledSingleServer(provider, 'scheduled-single', { size: 0, state: 'suspended', perRun: false, runs: [] }));
  });

  after(() => deleteLabStacks(rt, lab.id, provider, names));

  test('one learner expected: one container from the lead time, suspended, deleted after the end', async () => {
    const start = new Date(rt.clock.now().getTime() + 3600_000);
    await rt.ctx.schedules.add({ course: 'course-v1:Org+Lxc+2026', lab: lab.id, start, end: new Date(start.getTime() + 3600_000), learners: 1, leadSeconds: 600 }, 'test', rt.clock.now());
    const pooled = async () => (await rt.ctx.stacks.list({ lab: lab.id })).filter((s) => s.pool && s.state !== 'DELETED');

    await rt.scheduler.runJob('warm pools');
    assert.deepEqual(await pooled(), [], 'a stack was made an hour before the class');

    rt.clock.advance(55 * 60);
    await rt.scheduler.runJob('warm pools');
    const [stack] = await pooled();
    assert.ok(stack, 'the filler launched nothing within the lead time');
    names.push(stack.providerStackName);
    await rt.ctx.stacks.waitForState(stack.id, ['READY'], 120_000, 100);
    await rt.scheduler.runJob('warm pools');
    await rt.ctx.stacks.waitForState(stack.id, ['SUSPENDED'], 60_000, 100);
    assert.ok((await provider.list()).some((s) => s.name === stack.providerStackName), 'the container is not there');

    rt.clock.advance(2 * 3600);
    await rt.scheduler.runJob('warm pools');
    await rt.ctx.stacks.waitForState(stack.id, ['DELETED'], 60_000, 100);
    assert.ok(!(await provider.list()).some((s) => s.name === stack.providerStackName), 'the container outlived the class');
  });
});
