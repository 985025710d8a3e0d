import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Counter } from 'prom-client';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`billed and learning hours metrics on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    let rt: TestRuntime;
    before(async () => {
      rt = await testRuntime({ backend, providers: [new FakeProvider('fake')], labs: [testLab()] });
    });
    after(async () => rt?.close());

    const values = async (name: string) => {
      const metric = rt.ctx.metrics.getSingleMetric(name) as Counter | undefined;
      assert.ok(metric, `${name} is registered`);
      return (await metric.get()).values.map((v) => ({ ...v.labels, value: Math.round(v.value * 1000) / 1000 }) as Record<string, string | number>);
    };

    test('each interval is counted once, whole, when it ends: running 1.5 h with 1 h of learning, then suspended 2 h', async () => {
      assert.deepEqual(await values('stacklab_billed_hours_total'), [], 'the first scrape starts counting from now');
      const stack = await rt.ctx.stacks.launch({ learner: 'ada', context: 'c1', lab: 'demo', actor: 'test' });
      await settle(rt);
      rt.clock.advance(3600);
      await rt.ctx.stacks.keepalive(stack.id, 'test');
      await rt.ctx.stacks.activityLedger.drain();
      rt.clock.advance(1800);
      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      await settle(rt);
      assert.deepEqual(await values('stacklab_billed_hours_total'), [{ lab: 'demo', provider: 'fake', state: 'running', value: 1.5 }]);
      assert.deepEqual(await values('stacklab_learning_hours_total'), [{ lab: 'demo', provider: 'fake', value: 1 }]);
      rt.clock.advance(7200);
      await rt.ctx.stacks.launch({ learner: 'ada', context: 'c1', lab: 'demo', actor: 'test' });
      await settle(rt);
      const billed = await values('stacklab_billed_hours_total');
      assert.deepEqual(billed.find((v) => v.state === 'suspended'), { lab: 'demo', provider: 'fake', state: 'suspended', value: 2 });
      assert.deepEqual(billed.find((v) => v.state === 'running'), { lab: 'demo', provider: 'fake', state: 'running', value: 1.5 }, 'the running interval is counted once; the new one is still open');
    });
  });
}
