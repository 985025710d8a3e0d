/**
 * Twenty launches polling at once share the worker's stop signal, each listening with its status read
 * and its pause: Node must not warn of an EventTarget listener leak (a warning operators would chase in
 * the logs of every busy deployment). Found by the sweeps benchmark's 1,000-stacks drill.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('the worker stop signal', () => {
  let rt: TestRuntime | undefined;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  after(async () => {
    process.off('warning', onWarning);
    await rt?.close();
  });

  test('twenty operations in flight raise no listener-leak warning', async () => {
    process.on('warning', onWarning);
    // Creates take a while, so that all twenty poll at the same time.
    rt = await testRuntime({ providers: [new FakeProvider('fake', { delay_ms: 300 })], labs: [testLab()], overrides: { worker_concurrency: 20 } });
    for (let i = 0; i < 20; i++) await rt.ctx.stacks.launch({ learner: `l${i}`, context: 'course', lab: 'demo', actor: 'test' });
    assert.equal(await rt.worker.tick(), 20);
    assert.equal(rt.worker.busy, 20);
    await settle(rt);
    // Warnings are emitted on a later tick than the listener that crossed the limit.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
  });
});
