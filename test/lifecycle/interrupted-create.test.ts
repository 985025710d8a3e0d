/**
 * A create that stacklab's own process was running when it died (the local runtime builds in-process;
 * the provider reports it FAILED with cause INTERRUPTED) is stacklab's failure, not the lab's: the worker
 * that takes it over removes what was built and builds it again under a new name, a bounded number of
 * times. Found by the crash campaign on the local runtime, where a kill mid-build failed learners'
 * launches. The real provider's report is in test/lxc/crash.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const T = 'heat_template_version: 2016-10-14\nresources: {}\n';

for (const backend of BACKENDS) {
  describe(`an interrupted create, on ${backend}`, { concurrency: false, skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL at 127.0.0.1:5432') : false }, () => {
    let rt: TestRuntime;
    let local: FakeProvider;
    before(async () => {
      local = new FakeProvider('local');
      rt = await testRuntime({ backend, providers: [local], labs: [testLab({ id: 'lab', providers: [{ name: 'local', capacity: -1, template: T, templateFile: 't' }] })] });
    });
    after(async () => rt?.close());
    const launch = (learner: string) => rt.ctx.stacks.launch({ learner, context: 'course-v1:Org+I+2026', lab: 'lab', actor: `learner:${learner}` });
    const creates = () => local.calls.filter((c) => c.op === 'create').map((c) => c.name);
    const deletes = () => local.calls.filter((c) => c.op === 'delete').map((c) => c.name);

    /** The learner's launch, settled, on a provider whose next `interrupts` creates die mid-build. */
    async function launchSettled(learner: string, interrupts: number) {
      local.options.interrupt_creates = interrupts;
      local.calls.splice(0);
      const stack = await launch(learner);
      await settle(rt);
      return rt.ctx.stacks.get(stack.id);
    }

    test('is built again under a new name, and the learner gets a READY lab', async () => {
      const ready = await launchSettled('ida', 1);
      assert.equal(ready.state, 'READY', `${ready.state}: ${ready.error}`);
      const [first, second, ...more] = creates();
      assert.ok(first && second && first !== second, `two creates under two names: ${creates().join(', ')}`);
      assert.deepEqual(more, []);
      assert.equal(ready.providerStackName, second);
      assert.deepEqual(deletes(), [first], 'what the interrupted build made is removed');
    });

    test('a build interrupted every time still ends as a failed launch that says why', async () => {
      const failed = await launchSettled('ivo', 1_000);
      assert.equal(failed.state, 'LAUNCH_FAILED');
      assert.match(String(failed.error), /interrupted/);
      assert.equal(creates().length, 3, 'the first build and two more');
    });
  });
}
