/** The local runtime's warnings about host limits that cap how many labs it holds (no root needed). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostLimitWarnings } from '../../src/providers/lxc/host-check.ts';

describe('lxc host limits', () => {
  test('host limits: a low inotify instance limit is named with a value to set; a high one says nothing', () => {
    const [warning, ...rest] = hostLimitWarnings((key) => (key.startsWith('fs/') ? 128 : 65536));
    assert.equal(rest.length, 0);
    assert.match(warning!, /fs\.inotify\.max_user_instances is 128/);
    assert.match(warning!, /about 25 labs/);
    assert.match(warning!, /sysctl -w fs\.inotify\.max_user_instances=1664/);
    assert.deepEqual(hostLimitWarnings((key) => (key.startsWith('fs/') ? 4096 : 65536)), []);
    assert.deepEqual(hostLimitWarnings(() => undefined), []);
  });

  test('host limits: a neighbour table too small for a few hundred labs is named with the three settings to raise', () => {
    const [warning, ...rest] = hostLimitWarnings((key) => (key === 'net/ipv4/neigh/default/gc_thresh3' ? 1024 : 8192));
    assert.equal(rest.length, 0);
    assert.match(warning!, /net\.ipv4\.neigh\.default\.gc_thresh3 is 1024/);
    assert.match(warning!, /about 204 labs/);
    assert.match(warning!, /gc_thresh3=3000 net\.ipv4\.neigh\.default\.gc_thresh2=1500 net\.ipv4\.neigh\.default\.gc_thresh1=375/);
    assert.deepEqual(hostLimitWarnings((key) => (key === 'net/ipv4/neigh/default/gc_thresh3' ? 16384 : 8192)), []);
  });
});
