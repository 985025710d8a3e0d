/**
 * The provider-faults campaign's judges (chaos/provider-faults-invariants.ts): they must catch what
 * they are there to catch, or the campaign's "no violations" would mean nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countPerRow, orphans, unactionable, type RowView } from '../../../chaos/provider-faults-invariants.ts';
import type { ProviderStackSummary } from '../../../src/providers/provider.ts';
import { UNAVAILABLE_MESSAGE } from '../../../src/providers/openstack/http-client.ts';

const DEP = 'chaosdep1';
const rows: RowView[] = [
  { id: 'aaaaaaaaaaaa', learner: 'ann', state: 'READY', providerStackName: `stacklab-${DEP}-aaaaaaaaaaaa-1-1` },
  { id: 'bbbbbbbbbbbb', learner: 'bob', state: 'DELETED', providerStackName: `stacklab-${DEP}-bbbbbbbbbbbb-1` },
];
const stack = (name: string, action: ProviderStackSummary['action'] = 'CREATE', status: ProviderStackSummary['status'] = 'COMPLETE'): ProviderStackSummary => ({ id: `${name}-id`, name, action, status });

describe('the provider-faults invariants', () => {
  test('a message a learner can act on says what to do and shows none of the plumbing', () => {
    assert.equal(unactionable(UNAVAILABLE_MESSAGE), null);
    assert.equal(unactionable(`Launch failed on provider 'cloud-a': ${UNAVAILABLE_MESSAGE.replace(/\.$/, '')}; trying 'cloud-b' next`), null);
    assert.equal(unactionable("The cloud refused stacklab's credentials; the operator needs to check them."), null);
    assert.match(unactionable('') ?? '', /no message/);
    assert.match(unactionable(null) ?? '', /no message/);
    assert.match(unactionable('heat: create stack x: POST http://127.0.0.1:8004/v1/p/stacks: ECONNRESET after 6 attempts') ?? '', /plumbing/);
    assert.match(unactionable('TypeError: terminated; please try again') ?? '', /plumbing \('TypeError'\)/);
    assert.match(unactionable('Launch failed: HTTP 503: fault proxy: injected HTTP 503; try again later') ?? '', /plumbing/);
    assert.match(unactionable('create failed') ?? '', /what to do next/);
  });

  test('two live stacks for one row are caught; one being deleted beside a live one is not two', () => {
    const one = countPerRow([stack(`stacklab-${DEP}-aaaaaaaaaaaa-1-1`), stack(`stacklab-${DEP}-aaaaaaaaaaaa-1`, 'DELETE', 'IN_PROGRESS')], rows, DEP);
    assert.deepEqual(one, { doubled: [], sameName: [], most: 1 });
    const two = countPerRow([stack(`stacklab-${DEP}-aaaaaaaaaaaa-1-1`), stack(`stacklab-${DEP}-aaaaaaaaaaaa-1`, 'CREATE', 'IN_PROGRESS')], rows, DEP);
    assert.equal(two.most, 2);
    assert.deepEqual(two.doubled, [`ann: stacklab-${DEP}-aaaaaaaaaaaa-1-1, stacklab-${DEP}-aaaaaaaaaaaa-1`]);
    const same = countPerRow([stack(`stacklab-${DEP}-aaaaaaaaaaaa-1-1`), { ...stack(`stacklab-${DEP}-aaaaaaaaaaaa-1-1`), id: 'other' }], rows, DEP);
    assert.deepEqual(same.sameName, [`stacklab-${DEP}-aaaaaaaaaaaa-1-1 (2 times)`]);
  });

  test('after the deletes: a stack of a deleted row, or not the one its row names, is left behind', () => {
    assert.deepEqual(orphans([stack(`stacklab-${DEP}-aaaaaaaaaaaa-1-1`), stack(`stacklab-${DEP}-bbbbbbbbbbbb-1`, 'DELETE', 'COMPLETE')], rows, DEP), []);
    const left = orphans([stack(`stacklab-${DEP}-bbbbbbbbbbbb-1`, 'DELETE', 'FAILED'), stack(`stacklab-${DEP}-aaaaaaaaaaaa-1`), stack(`stacklab-${DEP}-cccccccccccc-1`)], rows, DEP);
    assert.equal(left.length, 3);
    assert.match(left[0]!, /DELETE_FAILED; row of bob is DELETED/);
    assert.match(left[1]!, /row of ann is READY, named .*-1-1/);
    assert.match(left[2]!, /no row/);
    assert.deepEqual(orphans([stack('stacklab-otherdep-aaaaaaaaaaaa-1')], rows, DEP), [], "another deployment's stack is not ours to judge");
  });
});
