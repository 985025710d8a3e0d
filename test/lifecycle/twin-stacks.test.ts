/**
 * Twins (found by the provider-faults campaign): Heat does not keep stack names unique when two
 * creates of one name overlap, so a create sent again after a lost answer can leave two stacks of one
 * name. The OpenStack provider deletes the twin it sees (test/openstack/lost-answers.test.ts); the
 * reconciler is the backstop for one that lands later: a stack with a row's name and provider but
 * not its id is deleted once past the grace, and never read as the row's state.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { ProviderStackSummary, StackRef } from '../../src/providers/provider.ts';
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

  test('the reconciler deletes the twin, keeps the row\'s own stack, and takes no state from the twin', async () => {
    const provider = new WithTwin('fake');
    rt = await testRuntime({ providers: [provider], labs: [testLab()] });
    const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: 'demo', actor: 'test' });
    await settle(rt);
    const ready = await rt.ctx.stacks.get(stack.id);
    assert.equal(ready.state, 'READY');
    const twinOf = (createdAt: Date): ProviderStackSummary => ({ id: 'twin-id', name: ready.providerStackName, action: 'SUSPEND', status: 'COMPLETE', createdAt, deployment: rt!.ctx.deployment });

    provider.twin = twinOf(rt.clock.now());
    await rt.scheduler.run('reconciler');
    const deleted = () => provider.deletes.map((d) => d.id);
    assert.deepEqual(deleted(), [], 'a young twin may be a create still saving its id: left alone');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY', "the twin's SUSPEND_COMPLETE was taken for the row's own state");

    rt.clock.advance(3 * 3600);
    await rt.scheduler.run('reconciler');
    assert.deepEqual(deleted(), ['twin-id']);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
    assert.equal((await provider.get({ id: ready.providerStackId!, name: ready.providerStackName }))?.status, 'COMPLETE');
  });
});
