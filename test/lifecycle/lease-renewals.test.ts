/**
 * While a worker polls the cloud for the end of an action, its lease is renewed once a third of it has
 * passed, not at every poll: each renewal is a durable write that announces a stack change to every
 * listener, and a ten-server suspend polled every 50 ms made dozens of them (the heat-nova bench).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { GetOptions, ProviderStack, StackRef } from '../../src/providers/provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const LEASE = 30;

/** The fake, with a suspend that reads as in progress for a set number of status reads. */
class SlowSuspends extends FakeProvider {
  readsLeft = 0;
  onRead: (left: number) => void = () => undefined;
  override async get(ref: StackRef, opts?: GetOptions): Promise<ProviderStack | null> {
    const stack = await super.get(ref, opts);
    if (stack?.action !== 'SUSPEND' || this.readsLeft === 0) return stack;
    this.onRead(--this.readsLeft);
    return { ...stack, status: 'IN_PROGRESS' };
  }
}

for (const backend of BACKENDS) {
  describe(`lease renewals while polling on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    let rt: TestRuntime;
    let provider: SlowSuspends;
    let renewals = 0;
    before(async () => {
      provider = new SlowSuspends('fake');
      rt = await testRuntime({ backend, providers: [provider], labs: [testLab()], overrides: { lease: LEASE } });
      // Operations keeps a store of its own on the runtime's database.
      const store = (rt.operations as unknown as { store: TestRuntime['store'] }).store;
      const renew = store.renewLease.bind(store);
      store.renewLease = (...args) => {
        renewals++;
        return renew(...args);
      };
    });
    after(async () => rt?.close());

    async function renewalsOfASuspend(reads: number, learner: string): Promise<number> {
      const stack = await rt.ctx.stacks.launch({ learner, context: 'course', lab: 'demo', actor: 'test' });
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      provider.readsLeft = reads;
      renewals = 0;
      const halfway = Math.floor(reads / 2);
      const seen = new Promise<void>((resolve) => {
        provider.onRead = (left) => {
          if (left !== halfway) return;
          // Halfway through, the lease as it was claimed has a third and a bit less left.
          rt.clock.advance(LEASE / 3 + 1);
          resolve();
        };
      });
      await settle(rt);
      await seen;
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
      return renewals;
    }

    test('forty polls of one suspend renew the lease at the first pause and once more after a third of it passed', async () => {
      // One per poll made 40; the clock moved past a third of the lease once, halfway.
      assert.equal(await renewalsOfASuspend(40, 'ada'), 2);
    });
  });
}
