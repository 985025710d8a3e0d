/**
 * A worker that dies in the middle of a create leaves a stack that get() reports as FAILED
 * (interrupted, with the cause the taking-over worker builds it again on) and that delete() removes
 * completely, containers started by the dead process included.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { skipUnless } from '../support/prerequisite.ts';
import { leftovers, lxcMissing, REPO, stackState, testProvider, uniqueName } from './support.ts';

const missing = await lxcMissing();
const run = promisify(execFile);

describe('lxc: crash in the middle of a create', { skip: skipUnless(missing === null, missing ?? '') }, () => {
  test('get says FAILED (interrupted) and delete leaves nothing behind', async () => {
    const name = uniqueName('crash');
    const ref = { id: name, name };
    const provider = testProvider();
    await run(process.execPath, ['--import', 'tsx', `${REPO}test/lxc/fixtures/create-and-die.ts`, name, 'ten-servers', '400'], { cwd: REPO }).catch((e: { signal?: string }) => {
      assert.equal(e.signal, 'SIGKILL', `the child did not die as planned: ${String(e)}`);
    });
    try {
      const state = stackState(name);
      const s = await provider.get(ref);
      assert.ok(s);
      assert.equal(s.status, 'FAILED');
      assert.match(s.reason, /interrupted/);
      assert.equal(s.cause, 'INTERRUPTED', 'the worker that takes the stack over builds it again only on this cause (test/lifecycle/interrupted-create.test.ts)');
      const before = await leftovers(state.shortId, name, state.plan.publicIps);
      assert.ok(before.some((x) => x.startsWith('link') || x.startsWith('netns')), `the crash left nothing to clean, so this test proves nothing: ${before.join(', ')}`);
      await provider.delete(ref);
      assert.equal(await provider.get(ref), null);
      assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
    } finally {
      await provider.delete(ref).catch(() => {});
    }
  });
});
