/** Reading Heat's stack status, outputs and failure reasons the contract's way (pure functions). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainFailure, outputsOf, splitStatus } from '../../src/providers/openstack/heat-status.ts';

test('stack_status splits into the contract action and status', () => {
  const cases: Record<string, string> = {
    CREATE_IN_PROGRESS: 'CREATE IN_PROGRESS',
    SUSPEND_COMPLETE: 'SUSPEND COMPLETE',
    RESUME_FAILED: 'RESUME FAILED',
    DELETE_COMPLETE: 'DELETE COMPLETE',
    ROLLBACK_IN_PROGRESS: 'CREATE IN_PROGRESS',
    ROLLBACK_COMPLETE: 'CREATE FAILED', // a rolled-back create did not build the lab
    CHECK_COMPLETE: 'CREATE COMPLETE',
    UPDATE_FAILED: 'CREATE FAILED',
    GARBAGE: 'CREATE FAILED',
  };
  for (const [heat, expected] of Object.entries(cases)) {
    const { action, status } = splitStatus(heat);
    assert.equal(`${action} ${status}`, expected, heat);
  }
});

test('outputs leave out the ones Heat could not resolve', () => {
  const outputs = outputsOf({
    id: 'i',
    stack_name: 'n',
    stack_status: 'CREATE_COMPLETE',
    outputs: [
      { output_key: 'public_ip', output_value: '192.0.2.4' },
      { output_key: 'broken', output_value: null, output_error: 'The Referenced Attribute (x y) is incorrect.' },
      { output_key: 'password', output_value: 'pw' },
    ],
  });
  assert.deepEqual(outputs, { public_ip: '192.0.2.4', password: 'pw' });
});

test("a failure reason joins Heat's reason and the failing resources' own words, without repeats", () => {
  const stack = { id: 'sid', stack_name: 'stacklab-x', stack_status: 'CREATE_FAILED', stack_status_reason: 'Resource CREATE failed: ResourceInError: resources.server: Went to status ERROR' };
  const reason = explainFailure(stack, [
    { resource_name: 'stacklab-x', physical_resource_id: 'sid', resource_status: 'CREATE_FAILED', resource_status_reason: 'the stack itself' },
    { resource_name: 'server', resource_status: 'CREATE_FAILED', resource_status_reason: 'ResourceInError: resources.server: Went to status ERROR due to "Message: No valid host was found., Code: 500"' },
    { resource_name: 'server', resource_status: 'CREATE_FAILED', resource_status_reason: 'ResourceInError: resources.server: Went to status ERROR due to "Message: No valid host was found., Code: 500"' },
    { resource_name: 'port', resource_status: 'CREATE_COMPLETE', resource_status_reason: 'state changed' },
    { resource_name: 'server', resource_status: 'CREATE_FAILED', resource_status_reason: 'Went to status ERROR' },
  ]);
  assert.equal(reason, 'Resource CREATE failed: ResourceInError: resources.server: Went to status ERROR; server: ResourceInError: resources.server: Went to status ERROR due to "Message: No valid host was found., Code: 500"');
  assert.equal(explainFailure({ id: 'i', stack_name: 'n', stack_status: 'RESUME_FAILED', stack_status_reason: null }, []), 'Heat reports RESUME_FAILED');
});
