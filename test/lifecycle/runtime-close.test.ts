/**
 * The composition root closes every part in the reverse order it opened them, and a part that fails
 * to close does not keep the others open: the failures come back together, each naming its part.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { testLab, testRuntime } from '../support/test-runtime.ts';

test('close() closes every part even when one fails, and reports which one', async () => {
  const closed: string[] = [];
  const first = Object.assign(new FakeProvider('first'), { close: async () => void closed.push('first') });
  const second = Object.assign(new FakeProvider('second'), {
    close: async () => {
      closed.push('second');
      throw new Error('boom');
    },
  });
  const runtime = await testRuntime({ providers: [first, second], labs: [testLab()] });
  runtime.startJobs();
  await assert.rejects(runtime.close(), (error: Error) => /closing the provider second failed: boom/.test(error.message));
  // Reverse order of opening: the later provider first; its failure did not skip the earlier one.
  assert.deepEqual(closed, ['second', 'first']);
  // A second close has nothing left to close (and lets the test support drop its database).
  await runtime.close();
  assert.deepEqual(closed, ['second', 'first']);
});
