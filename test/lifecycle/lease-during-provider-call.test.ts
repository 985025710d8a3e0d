/**
 * A provider call that outlasts the lease (found by the provider-faults campaign: a create under a
 * failing cloud, with its retries, took longer than the lease). The worker keeps its lease while the
 * call runs, so no second claim runs the same create beside it; and a create that finishes after its
 * row moved on anyway removes the stack it made.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { CreateRequest, StackRef } from '../../src/providers/provider.ts';
import { eventually } from '../support/eventually.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const LEASE = 3;

/** The fake, with creates held until the test lets them go. */
class HeldCreates extends FakeProvider {
  readonly waiting: Array<() => void> = [];
  creates = 0;
  override async create(req: CreateRequest): Promise<StackRef> {
    this.creates++;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return super.create(req);
  }
}

describe('the lease during a long provider call', () => {
  let rt: TestRuntime | undefined;
  let provider: HeldCreates | undefined;
  after(async () => {
    // Creates still held (the test failed half-way) are let go, so the worker can stop.
    for (const release of provider?.waiting.splice(0) ?? []) release();
    await rt?.close();
  });

  test('a create held past the lease is not taken over, and runs once', async () => {
    provider = new HeldCreates('fake');
    rt = await testRuntime({ providers: [provider], labs: [testLab()], overrides: { lease: LEASE } });
    const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: 'demo', actor: 'test' });
    assert.equal(await rt.worker.tick(), 1);
    await eventually(() => (provider!.waiting.length === 1 ? true : undefined), 10_000, 'the create to reach the provider');

    // Past the lease as it was claimed: only a renewal made while the create runs keeps it.
    const claimedUntil = (await rt.ctx.stacks.get(stack.id)).leaseUntil!.getTime();
    rt.clock.advance(LEASE + 1);
    await eventually(async () => ((await rt!.ctx.stacks.get(stack.id)).leaseUntil!.getTime() > claimedUntil ? true : undefined), 5_000, 'the lease to be renewed during the create');
    assert.equal(await rt.worker.tick(), 0, 'the create in flight was claimed a second time');

    provider.waiting.shift()!();
    await settle(rt);
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
    assert.equal(provider.creates, 1);
  });
});
