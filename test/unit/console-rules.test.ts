/** The console's pure rules: sign-in throttling over time, provider health, the four live counts, cursors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor, likePrefix } from '../../src/db/console-queries.ts';
import { healthOf, liveCounts } from '../../src/services/console-overview.ts';
import { SignInThrottle } from '../../src/services/sign-in-throttle.ts';

test('the throttle refuses after five failures until the oldest leaves the window, per key', () => {
  const throttle = new SignInThrottle({ maxFailures: 5, windowMs: 60_000, maxKeys: 100 });
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.waitMs(['name:ada'], i * 1000), 0);
    throttle.failed(['name:ada'], i * 1000);
  }
  assert.equal(throttle.waitMs(['name:ada'], 5000), 55_000);
  assert.equal(throttle.waitMs(['name:grace'], 5000), 0, 'another name is not held back');
  assert.equal(throttle.waitMs(['name:ada'], 60_001), 0, 'the oldest failure left the window');
  throttle.failed(['name:ada'], 60_001);
  assert.ok(throttle.waitMs(['name:ada'], 60_002) > 0, 'four recent failures and a new one: five again');
  throttle.succeeded('name:ada');
  assert.equal(throttle.waitMs(['name:ada'], 60_003), 0);
});

test('the throttle keeps at most maxKeys names, dropping the oldest', () => {
  const throttle = new SignInThrottle({ maxFailures: 1, windowMs: 60_000, maxKeys: 2 });
  for (const key of ['a', 'b', 'c']) throttle.failed([key], 0);
  assert.equal(throttle.waitMs(['a'], 1), 0);
  assert.ok(throttle.waitMs(['c'], 1) > 0);
});

test('provider health from the last hour, and the four live counts', () => {
  assert.equal(healthOf(0, 0), 'idle');
  assert.equal(healthOf(3, 0), 'ok');
  assert.equal(healthOf(3, 1), 'degraded');
  assert.equal(healthOf(0, 2), 'failing');
  const counts = liveCounts({ READY: 4, SUSPENDED: 2, SHELVED: 1, CREATING: 1, LAUNCH_PENDING: 2, LAUNCH_FAILED: 1, DELETE_FAILED: 1, DELETED: 9 });
  assert.deepEqual([counts.running, counts.suspended, counts.launching, counts.failed], [4, 3, 3, 2]);
});

test('cursors round-trip, and anything else is refused; a search prefix escapes LIKE wildcards', () => {
  assert.deepEqual(decodeCursor(encodeCursor('2026-01-01T00:00:00.000Z', 'abc')), ['2026-01-01T00:00:00.000Z', 'abc']);
  for (const bad of ['garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) assert.equal(decodeCursor(bad), null);
  assert.equal(likePrefix('a_b%c\\'), 'a\\_b\\%c\\\\%');
});
