import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alwaysOnSeconds, runningSeconds, segments, usageSeconds, type HistoryEntry } from '../../src/domain/billing.ts';
import { costOf, pricesSchema, stackHourPrice } from '../../src/domain/prices.ts';
import { blocksRunning, budgetDeadline, budgetStatus } from '../../src/domain/usage-budget.ts';
import type { StackState } from '../../src/domain/states.ts';

const t0 = new Date('2026-03-01T09:00:00Z');
/** A moment `m` minutes after t0. */
const min = (m: number) => new Date(t0.getTime() + m * 60_000);
/** A history entry at minute `m`, with the stack's last activity at minute `activity`. */
const e = (m: number, toState: StackState, activity: number | null = null): HistoryEntry => ({ toState, at: min(m), activityAt: activity === null ? null : min(activity) });

/**
 * One session by hand: launch requested at 0, claimed at 1, READY at 3, the learner works until 40, the
 * suspender asks at 42 (2 min timeout), suspended at 43; comes back at 100 (resume requested), claimed at
 * 101, READY at 102, works until 130, suspended at 133; shelved from 200 (asked at 190); deleted at 300
 * (asked at 299, from SHELVED).
 */
const session: HistoryEntry[] = [
  e(0, 'LAUNCH_PENDING', 0),
  e(1, 'CREATING', 0),
  e(3, 'READY', 0),
  e(42, 'SUSPEND_PENDING', 40),
  e(42.5, 'SUSPENDING', 40),
  e(43, 'SUSPENDED', 40),
  e(100, 'RESUME_PENDING', 100),
  e(101, 'RESUMING', 100),
  e(102, 'READY', 100),
  e(132, 'SUSPEND_PENDING', 130),
  e(132.2, 'SUSPENDING', 130),
  e(133, 'SUSPENDED', 130),
  e(190, 'SHELVE_PENDING', 130),
  e(191, 'SHELVING', 130),
  e(200, 'SHELVED', 130),
  e(299, 'DELETE_PENDING', 130),
  e(299.5, 'DELETING', 130),
  e(300, 'DELETED', 130),
];

test('segments: running from the claim to the suspend, suspended until the resume is claimed, shelved from SHELVED; a delete bills as what it deletes', () => {
  const segs = segments(session, min(400));
  assert.deepEqual(
    segs.map((s) => [s.billed, (s.start.getTime() - t0.getTime()) / 60_000, (s.end.getTime() - t0.getTime()) / 60_000, s.open]),
    [
      ['running', 1, 43, false],
      ['suspended', 43, 101, false],
      ['running', 101, 133, false],
      ['suspended', 133, 200, false],
      ['shelved', 200, 300, false],
    ],
  );
  // Learning: 1 -> 40 and 101 -> 130 (a resume's own activity, at 100, is before its segment starts).
  assert.deepEqual(
    segs.filter((s) => s.billed === 'running').map((s) => (s.learningEnd.getTime() - t0.getTime()) / 60_000),
    [40, 130],
  );
  const usage = usageSeconds(segs);
  assert.equal(usage.running, (42 + 32) * 60);
  assert.equal(usage.suspended, (58 + 67) * 60);
  assert.equal(usage.shelved, 100 * 60);
  assert.equal(usage.learning, (39 + 29) * 60);
  assert.equal(alwaysOnSeconds(segs), 299 * 60, 'always on: from the first claim to the delete');
});

test('usageSeconds in a window counts only the part inside it (a month boundary cuts a segment)', () => {
  const segs = segments(session, min(400));
  const usage = usageSeconds(segs, { from: min(20), to: min(120) });
  assert.equal(usage.running, (23 + 19) * 60, 'running 20 -> 43 and 101 -> 120');
  assert.equal(usage.suspended, 58 * 60);
  assert.equal(usage.learning, (20 + 19) * 60, 'learning 20 -> 40 and 101 -> 120');
  assert.equal(alwaysOnSeconds(segs, { from: min(20), to: min(120) }), 100 * 60);
});

test('an open segment runs to `until`; its learning ends at the current activity', () => {
  const open = session.slice(0, 3);
  const segs = segments(open, min(60), min(50));
  assert.deepEqual(segs.map((s) => [s.billed, s.open]), [['running', true]]);
  assert.equal(usageSeconds(segs).running, 59 * 60);
  assert.equal(usageSeconds(segs).learning, 49 * 60);
  assert.equal(runningSeconds(open, min(60)), 59 * 60, 'the budget counts the running time so far');
  assert.equal(runningSeconds(session, min(60)), 42 * 60 + 0, 'entries after `now` are not read');
});

test('a deleted and relaunched stack: the gap is not billed and not always-on; a delete from READY bills as running', () => {
  const history = [
    e(0, 'LAUNCH_PENDING', 0), e(1, 'CREATING', 0), e(2, 'READY', 0), e(10, 'DELETE_PENDING', 9), e(11, 'DELETING', 9), e(12, 'DELETED', 9),
    e(50, 'LAUNCH_PENDING', 50), e(51, 'CREATING', 50), e(52, 'LAUNCH_FAILED', 50), e(53, 'LAUNCH_PENDING', 53), e(54, 'CREATING', 53), e(55, 'READY', 53),
  ];
  const segs = segments(history, min(60), min(58));
  assert.deepEqual(segs.map((s) => [s.billed, (s.start.getTime() - t0.getTime()) / 60_000, (s.end.getTime() - t0.getTime()) / 60_000]), [
    ['running', 1, 12],
    ['running', 51, 52],
    ['running', 54, 60],
  ]);
  assert.equal(usageSeconds(segs).learning, (8 + 0 + 4) * 60);
  assert.equal(alwaysOnSeconds(segs), (11 + 1 + 6) * 60, 'a failed launch ends a stretch too; each stretch counts once');
});

test('entries from before migration 013 (no activity) count their whole running time as learning', () => {
  const history = [e(0, 'LAUNCH_PENDING'), e(1, 'CREATING'), e(2, 'READY'), e(10, 'SUSPEND_PENDING'), e(11, 'SUSPENDING'), e(12, 'SUSPENDED')];
  const usage = usageSeconds(segments(history, min(20)));
  assert.equal(usage.running, 11 * 60);
  assert.equal(usage.learning, 11 * 60);
});

test('prices: per stack-hour, per server-hour by flavor; a missing suspended price is the running one, a missing shelved price is 0', () => {
  const prices = pricesSchema.parse({
    lxc: { per: 'stack-hour', stack: { running: 0.5 } },
    cloud: { per: 'server-hour', currency: 'EUR', flavors: { small: { running: 0.1, shelved: 0.01 }, large: { running: 0.4, suspended: 0.1 } } },
  });
  assert.deepEqual(stackHourPrice(prices, 'lxc', []), { ok: true, currency: 'USD', perHour: { running: 0.5, suspended: 0.5, shelved: 0 } });
  const cloud = stackHourPrice(prices, 'cloud', ['small', 'small', 'large']);
  assert.ok(cloud.ok);
  assert.deepEqual(cloud, { ok: true, currency: 'EUR', perHour: { running: 0.6000000000000001, suspended: 0.30000000000000004, shelved: 0.02 } });
  assert.deepEqual(stackHourPrice(prices, 'cloud', ['huge']), { ok: false, problem: { kind: 'unpricedFlavors', provider: 'cloud', flavors: 'huge' } });
  assert.deepEqual(stackHourPrice(prices, 'other', []), { ok: false, problem: { kind: 'noProviderPrices', provider: 'other' } });
  // 2 h running, 10 h suspended, 100 h shelved.
  assert.ok(Math.abs(costOf({ running: 7200, suspended: 36000, shelved: 360000 }, cloud.perHour) - (1.2 + 3 + 2)) < 1e-9);
  assert.throws(() => pricesSchema.parse({ x: { per: 'server-hour', flavors: { a: { running: -1 } } } }));
  assert.throws(() => pricesSchema.parse({ x: { per: 'stack-hour', stack: { running: 1 }, flavors: {} } }), 'unknown keys are refused');
});

test('budgets: time left, block only when used up in block mode, the suspend deadline is now + time left', () => {
  assert.equal(budgetStatus(null, 0, 100), null);
  const warn = budgetStatus({ seconds: 3600, mode: 'warn' }, 0, 4000);
  assert.deepEqual(warn, { mode: 'warn', budgetSeconds: 3600, usedSeconds: 4000, leftSeconds: 0, exhausted: true });
  assert.equal(blocksRunning(warn), false);
  const block = budgetStatus({ seconds: 3600, mode: 'block' }, 1800, 4000);
  assert.deepEqual(block, { mode: 'block', budgetSeconds: 5400, usedSeconds: 4000, leftSeconds: 1400, exhausted: false });
  assert.equal(blocksRunning(block), false);
  assert.deepEqual(budgetDeadline(block, t0), new Date(t0.getTime() + 1400_000));
  assert.equal(blocksRunning(budgetStatus({ seconds: 3600, mode: 'block' }, 0, 3600)), true);
  assert.equal(budgetDeadline(warn, t0), null);
});
