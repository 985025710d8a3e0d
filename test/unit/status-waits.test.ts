/**
 * StatusWaits (services/status-waits.ts) on its own: a change announced while the waiter re-reads is
 * kept for its next wait, the cap refuses one more, `close` lets every waiter go, and while
 * notifications are not heard waiters are woken on the fallback period instead (and only then).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GAP_RECHECK_MS, StatusWaits } from '../../src/services/status-waits.ts';
import { AppError } from '../../src/errors/api-errors.ts';

const later = (ms: number) => Date.now() + ms;

test('a change announced between two waits is not lost, and only the changed stack is woken', async () => {
  const waits = new StatusWaits(10);
  waits.listening();
  const a = waits.enter('a');
  const b = waits.enter('b');
  waits.message('a'); // before a's next(): as if it came while a re-read the stack
  assert.equal(await a.next(later(5000)), true);
  const woken = a.next(later(5000));
  waits.message('a');
  assert.equal(await woken, true);
  assert.equal(await b.next(later(50)), false, 'b heard nothing and waited out its limit');
  a.release();
  b.release();
  assert.equal(waits.size, 0);
});

test('the cap refuses one more waiter with UNAVAILABLE; a released slot is free again', () => {
  const waits = new StatusWaits(1);
  const first = waits.enter('a');
  assert.throws(() => waits.enter('b'), (error: unknown) => error instanceof AppError && error.code === 'UNAVAILABLE');
  first.release();
  first.release(); // idempotent: frees one slot only once
  assert.equal(waits.size, 0);
  waits.enter('b').release();
  assert.throws(() => new StatusWaits(0).enter('a'), (error: unknown) => error instanceof AppError && /0 of 0 in use/.test(error.detail ?? ''));
});

test('close lets every waiter go and refuses new ones', async () => {
  const waits = new StatusWaits(10);
  waits.listening();
  const pending = [waits.enter('a').next(later(60_000)), waits.enter('a').next(later(60_000)), waits.enter('b').next(later(60_000))];
  waits.close();
  assert.deepEqual(await Promise.all(pending), [false, false, false]);
  assert.equal(waits.size, 0);
  assert.throws(() => waits.enter('a'), (error: unknown) => error instanceof AppError && /closing/.test(error.detail ?? ''));
});

test('while notifications are not heard, waiters are woken every recheck period; once heard, only by their stack', async () => {
  const waits = new StatusWaits(10);
  const waiter = waits.enter('a'); // never listened yet: not heard
  const started = Date.now();
  assert.equal(await waiter.next(later(10_000)), true);
  assert.ok(Date.now() - started < GAP_RECHECK_MS * 3);
  waits.listening(); // wakes every waiter once: what changed unheard is looked at
  assert.equal(await waiter.next(later(10_000)), true);
  assert.equal(await waiter.next(later(GAP_RECHECK_MS * 2)), false, 'heard again: no more periodic wake-ups');
  waits.gap();
  assert.equal(await waiter.next(later(10_000)), true, 'a gap wakes waiters at once');
  assert.equal(await waiter.next(later(10_000)), true, 'and again on the recheck period');
  waiter.release(); // the last waiter gone: the recheck timer stops, or this file would not end
});
