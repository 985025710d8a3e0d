/**
 * A lab whose template reads files (get_file, nested templates) launches with them: the loader reads
 * them from the lab folder and the launch hands them to the provider as Heat's `files`, keyed by the
 * names the template uses (without them Heat refuses: "No content found in the files section").
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadLab } from '../../src/labs/load-labs.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { CreateRequest, StackRef } from '../../src/providers/provider.ts';
import { CORPUS_DIR } from '../fixtures/templates/corpus/expected.ts';
import { eventually } from '../support/eventually.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';

class Recording extends FakeProvider {
  readonly requests: CreateRequest[] = [];
  override async create(req: CreateRequest): Promise<StackRef> {
    this.requests.push(req);
    return super.create(req);
  }
}

let rt: TestRuntime | undefined;
after(() => rt?.close());

test('the files a lab template reads go to the provider with the template', async () => {
  const dir = join(CORPUS_DIR, 'nested-secret');
  const lab = loadLab(dir, { defaultProviders: ['fake'] });
  const provider = new Recording('fake');
  rt = await testRuntime({ providers: [provider], labs: [lab] });
  await rt.ctx.stacks.launch({ learner: 'ann', context: 'course', lab: lab.id, actor: 'test' });
  rt.worker.start();
  await eventually(() => (provider.requests.length > 0 ? true : undefined), 30_000, 'the create request');
  assert.equal(provider.requests.length, 1);
  // The nested template, by the name the template uses and by the name the environment's registry uses.
  const secret = readFileSync(join(dir, 'secret.yaml'), 'utf8');
  assert.deepEqual(provider.requests[0]!.files, { './secret.yaml': secret, 'secret.yaml': secret });
});
