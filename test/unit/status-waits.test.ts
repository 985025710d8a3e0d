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
  const a = waits.enter('a', 'ada')!;
  const b = waits.enter('b', 'ada')!;
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
  const first = waits.enter('a', 'ada')!;
  assert.throws(() => waits.enter('b', 'ada')!, (error: unknown) => error instanceof AppError && error.code === 'UNAVAILABLE');
  first.release();
  first.release(); // idempotent: frees one slot only once
  assert.equal(waits.size, 0);
  waits.enter('b', 'ada')!.release();
  assert.throws(() => new StatusWaits(0).enter('a', 'ada')!, (error: unknown) => error instanceof AppError && /0 of 0 in use/.test(error.detail ?? ''));
});

test('close lets every waiter go and refuses new ones', async () => {
  const waits = new StatusWaits(10);
  waits.listening();
  const pending = [waits.enter('a', 'ada')!.next(later(60_000)), waits.enter('a', 'ada')!.next(later(60_000)), waits.enter('b', 'ada')!.next(later(60_000))];
  waits.close();
  assert.deepEqual(await Promise.all(pending), [false, false, false]);
  assert.equal(waits.size, 0);
  assert.throws(() => waits.enter('a', 'ada')!, (error: unknown) => error instanceof AppError && /closing/.test(error.detail ?? ''));
});

test('while notifications are not heard, waiters are woken every recheck period; once heard, only by their stack', async () => {
  const waits = new StatusWaits(10);
  const waiter = waits.enter('a', 'ada')!; // never listened yet: not heard
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

test("one learner's waiters stop at their own cap (not registered: answered at once), and never take another learner's", () => {
  const waits = new StatusWaits(3, 2);
  waits.listening(); // no recheck timer: a failing assertion must not keep this file from ending
  const first = waits.enter('a', 'ada')!;
  const second = waits.enter('b', 'ada')!;
  assert.equal(waits.enter('a', 'ada'), null, "ada's third wait was registered");
  assert.equal(waits.heldBy('ada'), 2);
  const bea = waits.enter('c', 'bea');
  assert.ok(bea, "another learner's wait was refused by ada's cap");
  // The process is full now; ada past her cap still gets an answer (null: at once), bea a 503.
  assert.equal(waits.enter('a', 'ada'), null);
  assert.throws(() => waits.enter('c', 'bea'), (error: unknown) => error instanceof AppError && error.code === 'UNAVAILABLE');
  first.release();
  first.release(); // idempotent: gives ada's place back once
  assert.equal(waits.heldBy('ada'), 1);
  const third = waits.enter('a', 'ada');
  assert.ok(third, 'a released waiter did not give the learner her place back');
  for (const w of [second, bea, third]) w.release();
  assert.equal(waits.size, 0);
  assert.equal(waits.heldBy('ada'), 0);
});
