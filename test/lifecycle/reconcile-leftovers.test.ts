/**
 * The reconciler asks each provider that can to take back what crashed actions of this deployment left
 * on its host outside any stack (the local runtime's firewall tables; test/lxc/nft-tables.test.ts shows
 * it on the host): every run, counted as acted, and a failure there is reported without stopping the run.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { reconciler } from '../../src/services/sweeps.ts';
import { testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

class LeftoverProvider extends FakeProvider {
  answers: (string[] | Error)[] = [];
  asked = 0;
  async reclaimLeftovers(): Promise<string[]> {
    this.asked++;
    const next = this.answers.shift() ?? [];
    if (next instanceof Error) throw next;
    return next;
  }
}

describe('reconciler: leftovers on the provider host', () => {
  let rt: TestRuntime | undefined;
  after(async () => rt?.close());

  test('asked every run; what it removed counts as acted; its failure is an error of the run', async () => {
    const provider = new LeftoverProvider('fake');
    rt = await testRuntime({ providers: [provider], labs: [testLab()] });
    const deps = { store: rt.store, providers: rt.ctx.providers, logger: pino({ level: 'silent' }), deployment: rt.ctx.deployment };
    provider.answers = [['bridge sl0a0b0c', 'inet sl0a0b0c'], new Error('nft list ruleset exited with 1')];
    const first = await reconciler(deps, new Date(), 120);
    assert.equal(first.acted, 2);
    assert.deepEqual(first.errors, []);
    const second = await reconciler(deps, new Date(), 120);
    assert.equal(second.acted, 0);
    assert.deepEqual(second.errors, ['fake: reclaiming leftovers failed: nft list ruleset exited with 1']);
    assert.equal(provider.asked, 2);
  });
});
