/**
 * Twins (found by the provider-faults campaign): Heat does not keep stack names unique when two
 * creates of one name overlap, so a create sent again after a lost answer can leave two stacks of one
 * name. The OpenStack provider deletes the twin it sees (test/openstack/lost-answers.test.ts); the
 * reconciler is the backstop for one that lands later: a stack with a row's name and provider but
 * not its id is deleted (at once when the row is past its launch, past the grace while the row
 * launches), and never read as the row's state.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { ProviderStackSummary, StackRef } from '../../src/providers/provider.ts';
import { eventually } from '../support/eventually.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

/** The fake, listing one extra stack under a name the test picks, and recording the deletes it is asked for. */
class WithTwin extends FakeProvider {
  twin: ProviderStackSummary | null = null;
  readonly deletes: StackRef[] = [];
  override async list(): Promise<ProviderStackSummary[]> {
    return [...(await super.list()), ...(this.twin ? [this.twin] : [])];
  }
  override async delete(ref: StackRef): Promise<void> {
    this.deletes.push(ref);
    if (ref.id === this.twin?.id) this.twin = null;
    else await super.delete(ref);
  }
}

describe('a twin stack of one name', () => {
  let rt: TestRuntime | undefined;
  after(() => rt?.close());

  test("the reconciler deletes a twin of a launched stack at once, keeps the row's own stack, and takes no state from the twin", async () => {
    const provider = new WithTwin('fake');
    rt = await testRuntime({ providers: [provider], labs: [testLab()] });
    const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: 'demo', actor: 'test' });
    await settle(rt);
    const ready = await rt.ctx.stacks.get(stack.id);
    assert.equal(ready.state, 'READY');
    // Young: Heat's engine took the twin's create from its queue just now, long after the row's own create.
    provider.twin = { id: 'twin-id', name: ready.providerStackName, action: 'SUSPEND', status: 'COMPLETE', createdAt: rt.clock.now(), deployment: rt.ctx.deployment };
    await rt.scheduler.run('reconciler');
    assert.deepEqual(provider.deletes.map((d) => d.id), ['twin-id'], 'the row holds its own stack: the young twin is not a create still saving its id');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY', "the twin's SUSPEND_COMPLETE was taken for the row's own state");
    assert.equal((await provider.get({ id: ready.providerStackId!, name: ready.providerStackName }))?.status, 'COMPLETE');
  });

  test('while the row launches, a young stack of its name is given the grace, then deleted as a twin', async () => {
    const provider = new WithTwin('fake', { never_ready: true });
    const local = await testRuntime({ providers: [provider], labs: [testLab()] });
    try {
      const stack = await local.ctx.stacks.launch({ learner: 'bob', context: 'course', lab: 'demo', actor: 'test' });
      await local.worker.tick(); // claimed, create sent, polling a create that never finishes
      await eventually(async () => {
        const s = await local.ctx.stacks.get(stack.id);
        return s.state === 'CREATING' && s.providerStackId !== null ? s : undefined;
      });
      const creating = await local.ctx.stacks.get(stack.id);
      provider.twin = { id: 'twin-id', name: creating.providerStackName, action: 'CREATE', status: 'IN_PROGRESS', createdAt: local.clock.now(), deployment: local.ctx.deployment };
      await local.scheduler.run('reconciler');
      assert.deepEqual(provider.deletes.map((d) => d.id), [], 'a young stack of a launching row may be its create still saving its id: left alone');
      local.clock.advance(3 * 3600);
      await local.scheduler.run('reconciler');
      assert.deepEqual(provider.deletes.map((d) => d.id), ['twin-id']);
    } finally {
      await local.close();
    }
  });
});
