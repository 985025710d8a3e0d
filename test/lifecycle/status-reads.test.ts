/**
 * The worker's polls ask the provider for the outputs only while waiting for a launch: a suspend, a
 * resume or a delete waits on the status alone, which Heat answers without asking Nova about every
 * server (resolve_outputs=False). A resume tells the provider when the platform saw the stack suspend,
 * so Heat's provider resumes without looking first. The real Heat's side of both is in
 * test/openstack/heat-lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { GetOptions, ProviderStack, ResumeOptions, StackRef } from '../../src/providers/provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

/** The fake, noting whether each status read asked for the outputs. */
class RecordingReads extends FakeProvider {
  readonly reads: boolean[] = [];
  readonly resumes: (boolean | undefined)[] = [];
  override resume(ref: StackRef, opts?: ResumeOptions): Promise<void> {
    this.resumes.push(opts?.suspended);
    return super.resume(ref);
  }
  override async get(ref: StackRef, opts?: GetOptions): Promise<ProviderStack | null> {
    this.reads.push(opts?.outputs !== false);
    return super.get(ref, opts);
  }
}

describe('status reads', () => {
  let rt: TestRuntime | undefined;
  after(() => rt?.close());

  test('a launch reads the outputs; suspend, resume and delete read the status only', async () => {
    const provider = new RecordingReads('fake');
    rt = await testRuntime({ providers: [provider], labs: [testLab()] });
    const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: 'demo', actor: 'test' });
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
    assert.ok(provider.reads.length > 0 && provider.reads.at(-1), 'the launch did not read the outputs of the finished stack');

    for (const [step, want] of [[() => rt!.ctx.stacks.requestSuspend(stack.id, 'test'), 'SUSPENDED'], [() => rt!.ctx.stacks.requestResume(stack.id, 'test'), 'READY']] as const) {
      provider.reads.length = 0;
      await step();
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, want);
      assert.ok(provider.reads.length > 0, `no status read on the way to ${want}`);
      assert.deepEqual(provider.reads.filter(Boolean), [], `a read on the way to ${want} asked for the outputs`);
    }

    provider.reads.length = 0;
    await rt.ctx.stacks.requestDelete(stack.id, 'test');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'DELETED');
    assert.ok(provider.reads.length > 0, 'no status read on the way to DELETED');
    assert.deepEqual(provider.reads.filter(Boolean), [], 'a read on the way to DELETED asked for the outputs');
  });

  test('a resume says the stack is suspended only when the platform saw its suspend complete', async () => {
    await rt?.close();
    const provider = new RecordingReads('fake');
    rt = await testRuntime({ providers: [provider], labs: [testLab()] });
    const stack = await rt.ctx.stacks.launch({ learner: 'bo', context: 'course', lab: 'demo', actor: 'test' });
    await settle(rt);
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    await rt.ctx.stacks.requestResume(stack.id, 'test');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
    // A suspend that failed leaves the stack in a state only a look can tell.
    provider.configure({ fail: ['suspend'] });
    await rt.ctx.stacks.requestSuspend(stack.id, 'test');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPEND_FAILED');
    provider.configure({ fail: [] });
    await rt.ctx.stacks.requestResume(stack.id, 'test');
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
    assert.deepEqual(provider.resumes, [true, false]);
  });
});
