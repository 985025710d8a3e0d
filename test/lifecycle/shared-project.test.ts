/**
 * Two provider entries on one cloud project (found by the provider-faults campaign, whose two clouds
 * are one Heat, as in test/openstack/failover.test.ts): each entry lists the other's stacks, and the
 * reconciler of the second took a learner's READY lab on the first for a zombie and deleted it. The
 * provider here is the folder-backed fake both entries share.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const T = 'heat_template_version: 2016-10-14\nresources: {}\n';

describe('two provider entries on one cloud project', () => {
  const folder = mkdtempSync(join(tmpdir(), 'stacklab-shared-project-'));
  let rt: TestRuntime | undefined;
  after(async () => {
    await rt?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test("the reconciler leaves the first entry's stacks to it, however old", async () => {
    const first = new FakeProvider('cloud-a', { state_dir: folder });
    const second = new FakeProvider('cloud-b', { state_dir: folder });
    const providers = [first, second].map((p) => ({ name: p.name, capacity: -1, template: T, templateFile: 'template.yaml' }));
    rt = await testRuntime({ providers: [first, second], labs: [testLab({ template: T, providers })] });
    const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: 'demo', actor: 'test' });
    await settle(rt);
    const ready = await rt.ctx.stacks.get(stack.id);
    assert.equal(ready.state, 'READY');
    assert.equal(ready.provider, 'cloud-a');
    assert.ok((await second.list()).some((s) => s.name === ready.providerStackName), 'the second entry does not see the first one\'s stacks, so this test proves nothing');

    rt.clock.advance(3 * 3600); // far past the reconciler's grace
    const stats = await rt.scheduler.run('reconciler');
    assert.deepEqual(stats.errors, []);
    assert.deepEqual(second.allCalls().filter((c) => c.op === 'delete'), [], "the second entry deleted the first one's stack");
    assert.equal((await first.get({ id: ready.providerStackId!, name: ready.providerStackName }))?.status, 'COMPLETE');
    assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY');
  });
});
