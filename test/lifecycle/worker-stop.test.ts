/**
 * Worker.stop returns within moments even while its operations poll a provider that never finishes
 * (or never answers), and the stacks it was driving are handed back in progress, so a second worker
 * takes them over at once (without waiting for the first one's lease to run out) and finishes them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Worker } from '../../src/jobs/worker.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { ProviderStack, StackRef } from '../../src/providers/provider.ts';
import { Operations } from '../../src/services/operations.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

/** The fake, whose status reads can be made to hang like a cloud that accepts connections and never answers. */
class SilentFake extends FakeProvider {
  silent = false;
  readonly hanging: Array<Promise<ProviderStack | null>> = [];
  override get(ref: StackRef): Promise<ProviderStack | null> {
    if (!this.silent) return super.get(ref);
    const never = new Promise<ProviderStack | null>(() => undefined);
    this.hanging.push(never);
    return never;
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const backend of BACKENDS) {
  describe(`Worker.stop on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let fake: SilentFake;
    before(async () => {
      fake = new SilentFake('fake');
      // A lease far longer than the test: only a released lease lets the second worker in.
      rt = await testRuntime({ backend, providers: [fake], labs: [testLab()], overrides: { lease: 3600 } });
    });
    after(async () => rt?.close());

    /** Another worker on the same store, as a second `stacklab worker` process would be. */
    function secondWorker(id: string): Worker {
      const { db, labs, providers, keys, clock, events, lifecycleHooks, config, deployment } = rt.ctx;
      const logger = pino({ level: 'silent' });
      const operations = new Operations({
        db, labs, providers, keys, clock, events, deployment, hooks: lifecycleHooks, logger,
        settings: { worker: id, leaseSeconds: config.lease, pollSeconds: 0.01, suspendAttempts: config.suspend_attempts },
      });
      return new Worker({
        store: rt.store, operations, clock, logger,
        settings: { id, concurrency: 10, leaseSeconds: config.lease, idlePollMs: 50, suspendTaskTimeout: 900, deleteTaskTimeout: 900 },
      });
    }

    async function stopPromptly(): Promise<number> {
      const started = performance.now();
      await rt.worker.stop();
      return performance.now() - started;
    }

    test('stop returns at once while a launch polls a never-ready provider; another worker finishes it', async () => {
      fake.configure({ never_ready: true });
      const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'c', lab: 'demo', actor: 'test' });
      rt.worker.start();
      const polling = await until('the launch polling the provider', async () => {
        const s = await rt.ctx.stacks.get(stack.id);
        return s.state === 'CREATING' && s.providerStackId ? s : undefined;
      });
      assert.equal(polling.leaseOwner, rt.worker['deps'].settings.id);
      const ms = await stopPromptly();
      assert.ok(ms < 5000, `stop took ${Math.round(ms)} ms`);
      assert.equal(rt.worker.busy, 0);

      const handedBack = await rt.ctx.stacks.get(stack.id);
      assert.equal(handedBack.state, 'CREATING', 'the stopped operation must stay in progress for a takeover');
      assert.equal(handedBack.leaseOwner, null);

      fake.configure({ never_ready: false });
      const rescuer = secondWorker('rescuer');
      assert.equal(await rescuer.tick(), 1, 'the second worker could not claim the handed-back launch');
      await rescuer.drain();
      const ready = await rt.ctx.stacks.get(stack.id);
      assert.equal(ready.state, 'READY');
      assert.equal(fake.calls.filter((c) => c.op === 'create').length, 1, 'the takeover created a second provider stack');
      const events = await rt.ctx.stacks.events(stack.id);
      assert.ok(events.some((e) => e.actor === 'worker:rescuer' && e.reason.includes('taken over')), JSON.stringify(events.map((e) => e.reason)));
    });

    test('stop returns at once while a status read never answers; the stack is handed back', async () => {
      const [ann] = await rt.ctx.stacks.list({ learner: 'ann' });
      await rt.ctx.stacks.requestSuspend(ann!.id, 'test');
      fake.silent = true;
      rt.worker.start();
      await until('a status read hanging', async () => fake.hanging.length > 0);
      const ms = await stopPromptly();
      assert.ok(ms < 5000, `stop took ${Math.round(ms)} ms`);
      const handedBack = await rt.ctx.stacks.get(ann!.id);
      assert.equal(handedBack.state, 'SUSPENDING');
      assert.equal(handedBack.leaseOwner, null);

      fake.silent = false;
      const rescuer = secondWorker('rescuer-2');
      assert.equal(await rescuer.tick(), 1);
      await rescuer.drain();
      assert.equal((await rt.ctx.stacks.get(ann!.id)).state, 'SUSPENDED');
      assert.deepEqual(fake.calls.filter((c) => c.name === ann!.providerStackName).map((c) => c.op), ['create', 'suspend', 'suspend']);
    });

    test('a worker started again after stop claims and finishes work', async () => {
      const stack = await rt.ctx.stacks.launch({ learner: 'bea', context: 'c', lab: 'demo', actor: 'test' });
      rt.worker.start();
      await until('the launch READY', async () => (await rt.ctx.stacks.get(stack.id)).state === 'READY');
      await rt.worker.stop();
    });
  });
}
