/** The local runtime's warnings about host limits that cap how many labs it holds (no root needed). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostLimitWarnings } from '../../src/providers/lxc/host-check.ts';

describe('lxc host limits', () => {
  test('host limits: a low inotify instance limit is named with a value to set; a high one says nothing', () => {
    const [warning, ...rest] = hostLimitWarnings(() => 128);
    assert.equal(rest.length, 0);
    assert.match(warning!, /fs\.inotify\.max_user_instances is 128/);
    assert.match(warning!, /about 25 labs/);
    assert.match(warning!, /sysctl -w fs\.inotify\.max_user_instances=1664/);
    assert.deepEqual(hostLimitWarnings(() => 4096), []);
    assert.deepEqual(hostLimitWarnings(() => undefined), []);
  });
});
