/** The pure rules of schedules and habit resume (domain/class-schedule.ts, domain/habits.ts), on fixed times. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextOccurrence, openOccurrence, scheduledSizing, sessionProblem, type ClassSession } from '../../src/domain/class-schedule.ts';
import { expectedAt, expectedSoon } from '../../src/domain/habits.ts';
import { poolTargets } from '../../src/domain/pool.ts';
import { testLab } from '../support/test-runtime.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { configuredClasses } from '../../src/services/class-schedules.ts';

const t = (iso: string) => new Date(iso);
const weekly: ClassSession = {
  id: 'c1',
  course: 'course-v1:O+C+R1',
  lab: 'l',
  start: t('2026-09-01T09:00:00Z'),
  end: t('2026-09-01T11:00:00Z'),
  learners: 10,
  leadSeconds: 900,
  weeklyUntil: t('2026-09-15T09:00:00Z'),
  timeZone: null,
  source: 'store',
};

test('a weekly class is open from its lead time to its end, each week up to weekly_until, and at no other time', () => {
  const open = (iso: string) => openOccurrence(weekly, t(iso))?.start.toISOString() ?? null;
  assert.equal(open('2026-09-01T08:44:59Z'), null);
  assert.equal(open('2026-09-01T08:45:00Z'), '2026-09-01T09:00:00.000Z');
  assert.equal(open('2026-09-01T10:59:59Z'), '2026-09-01T09:00:00.000Z');
  assert.equal(open('2026-09-01T11:00:00Z'), null);
  assert.equal(open('2026-09-04T10:00:00Z'), null, 'open between two weeks');
  assert.equal(open('2026-09-08T08:50:00Z'), '2026-09-08T09:00:00.000Z');
  assert.equal(open('2026-09-15T10:00:00Z'), '2026-09-15T09:00:00.000Z', 'the class on weekly_until itself');
  assert.equal(open('2026-09-22T10:00:00Z'), null, 'past weekly_until');
  assert.equal(nextOccurrence(weekly, t('2026-09-02T00:00:00Z'))?.start.toISOString(), '2026-09-08T09:00:00.000Z');
  assert.equal(nextOccurrence(weekly, t('2026-09-16T00:00:00Z')), null);
  assert.equal(nextOccurrence({ ...weekly, weeklyUntil: null }, t('2026-08-01T00:00:00Z'))?.start.toISOString(), '2026-09-01T09:00:00.000Z');
});

const iso = (o: { start: Date; end: Date } | null) => (o ? [o.start.toISOString(), o.end.toISOString()] : null);

test('a weekly class in Europe/Berlin keeps 09:00 local across the end of summer time (07:00Z before 2026-10-25, 08:00Z after)', () => {
  // Tuesdays 09:00-11:00 Berlin time, from 2026-10-13; weekly_until before 09:00 local on 2026-11-10.
  const berlin: ClassSession = { ...weekly, start: t('2026-10-13T07:00:00Z'), end: t('2026-10-13T09:00:00Z'), weeklyUntil: t('2026-11-10T07:30:00Z'), timeZone: 'Europe/Berlin' };
  const open = (at: string) => iso(openOccurrence(berlin, t(at)));
  assert.deepEqual(open('2026-10-20T06:45:00Z'), ['2026-10-20T07:00:00.000Z', '2026-10-20T09:00:00.000Z'], 'the week before the change');
  assert.equal(open('2026-10-27T06:50:00Z'), null, 'opened at the UTC time of the summer classes');
  assert.equal(open('2026-10-27T07:44:59Z'), null, 'opened before the lead time');
  assert.deepEqual(open('2026-10-27T07:45:00Z'), ['2026-10-27T08:00:00.000Z', '2026-10-27T10:00:00.000Z'], 'the lead time before 09:00 local');
  assert.deepEqual(open('2026-10-27T09:59:59Z'), ['2026-10-27T08:00:00.000Z', '2026-10-27T10:00:00.000Z'], 'just before the end, 11:00 local');
  assert.equal(open('2026-10-27T10:00:00Z'), null, 'open after the end');
  const next = (at: string) => iso(nextOccurrence(berlin, t(at)));
  assert.deepEqual(next('2026-10-21T00:00:00Z'), ['2026-10-27T08:00:00.000Z', '2026-10-27T10:00:00.000Z'], 'next across the change');
  // A week and 30 minutes after a summer class: dividing by a UTC week points at the week after.
  assert.deepEqual(next('2026-10-27T07:30:00Z'), ['2026-10-27T08:00:00.000Z', '2026-10-27T10:00:00.000Z'], 'next class skipped near the change');
  assert.deepEqual(next('2026-10-28T00:00:00Z'), ['2026-11-03T08:00:00.000Z', '2026-11-03T10:00:00.000Z']);
  // 09:00 local on 2026-11-10 is 08:00Z, after weekly_until (07:30Z), though a UTC week after the first is not.
  assert.equal(next('2026-11-04T00:00:00Z'), null, 'a class past weekly_until');
  assert.equal(open('2026-11-10T07:50:00Z'), null, 'open past weekly_until');
});

test('a weekly class in America/New_York keeps 09:00-10:30 local across 2026-11-01; into summer time the other way', () => {
  const ny: ClassSession = { ...weekly, start: t('2026-10-27T13:00:00Z'), end: t('2026-10-27T14:30:00Z'), weeklyUntil: t('2026-12-01T00:00:00Z'), timeZone: 'America/New_York' };
  const open = (at: string) => iso(openOccurrence(ny, t(at)));
  assert.equal(open('2026-11-03T13:44:59Z'), null);
  assert.deepEqual(open('2026-11-03T13:45:00Z'), ['2026-11-03T14:00:00.000Z', '2026-11-03T15:30:00.000Z']);
  assert.deepEqual(open('2026-11-03T15:29:59Z'), ['2026-11-03T14:00:00.000Z', '2026-11-03T15:30:00.000Z']);
  assert.equal(open('2026-11-03T15:30:00Z'), null);
  assert.deepEqual(iso(nextOccurrence(ny, t('2026-10-28T00:00:00Z'))), ['2026-11-03T14:00:00.000Z', '2026-11-03T15:30:00.000Z']);
  // Spring: 09:00 EST (14:00Z) on 2027-03-09, 09:00 EDT (13:00Z) on 2027-03-16, an hour less than a UTC week later.
  const spring: ClassSession = { ...ny, start: t('2027-03-09T14:00:00Z'), end: t('2027-03-09T15:30:00Z'), weeklyUntil: t('2027-04-01T00:00:00Z') };
  assert.deepEqual(iso(openOccurrence(spring, t('2027-03-16T12:45:00Z'))), ['2027-03-16T13:00:00.000Z', '2027-03-16T14:30:00.000Z'], 'the lead time an hour before the UTC week');
  assert.deepEqual(iso(nextOccurrence(spring, t('2027-03-10T00:00:00Z'))), ['2027-03-16T13:00:00.000Z', '2027-03-16T14:30:00.000Z']);
});

test('a local time skipped or repeated by a change: the skipped hour falls an hour later, a repeated one is its first', () => {
  // 02:30 Berlin does not exist on 2027-03-28 and comes twice on 2026-10-25.
  const skipped: ClassSession = { ...weekly, start: t('2027-03-21T01:30:00Z'), end: t('2027-03-21T02:30:00Z'), weeklyUntil: t('2027-04-01T00:00:00Z'), timeZone: 'Europe/Berlin' };
  assert.equal(nextOccurrence(skipped, t('2027-03-22T00:00:00Z'))?.start.toISOString(), '2027-03-28T01:30:00.000Z', '03:30 summer time');
  const repeated: ClassSession = { ...skipped, start: t('2026-10-18T00:30:00Z'), end: t('2026-10-18T01:30:00Z'), weeklyUntil: t('2026-11-01T00:00:00Z') };
  assert.equal(nextOccurrence(repeated, t('2026-10-19T00:00:00Z'))?.start.toISOString(), '2026-10-25T00:30:00.000Z', '02:30 summer time');
  assert.equal(nextOccurrence({ ...repeated, timeZone: 'UTC' }, t('2026-10-19T00:00:00Z'))?.start.toISOString(), '2026-10-25T00:30:00.000Z');
});

test('times that make no class are named', () => {
  assert.equal(sessionProblem({ ...weekly, timeZone: 'Europe/Berlin' }), null);
  assert.equal(sessionProblem({ ...weekly, timeZone: 'Mars/Olympus_Mons' }), 'unknownTimeZone');
  assert.equal(sessionProblem({ ...weekly, timeZone: '' }), 'unknownTimeZone');
  assert.equal(sessionProblem(weekly), null);
  assert.equal(sessionProblem({ ...weekly, end: weekly.start }), 'endsBeforeStart');
  assert.equal(sessionProblem({ ...weekly, end: t('2026-09-08T08:50:00Z') }), 'weeklyOverlap');
  assert.equal(sessionProblem({ ...weekly, weeklyUntil: t('2026-08-01T00:00:00Z') }), 'untilBeforeStart');
  assert.equal(sessionProblem({ ...weekly, weeklyUntil: null, end: t('2026-12-01T00:00:00Z') }), 'tooLong');
});

test("the target is the lab's size plus the learners still expected; classes add up; a per-run pool gets its class's run", () => {
  const lab = testLab({ id: 'l', pool: { size: 2, state: 'suspended', perRun: false, runs: [] } });
  const perRun = testLab({ id: 'p', pool: { size: 1, state: 'suspended', perRun: true, runs: ['R0'] } });
  const sizing = scheduledSizing([
    { session: weekly, labs: [lab, perRun], run: 'R1', arrived: new Map([['l', 4]]) },
    { session: { ...weekly, id: 'c2', learners: 3 }, labs: [lab], run: 'R2', arrived: new Map() },
    { session: { ...weekly, id: 'c3', learners: 1 }, labs: [lab], run: 'R3', arrived: new Map([['l', 5]]) },
  ]);
  const targets = poolTargets([lab, perRun], sizing, [{ lab: 'p', run: 'OLD' }]);
  assert.deepEqual(
    targets.map((x) => [x.lab, x.run, x.size]),
    [
      ['l', '', 2 + 6 + 3 + 0],
      ['p', 'R0', 1],
      ['p', 'R1', 10],
      ['p', 'OLD', 0],
    ],
  );
});

test('habit: expected when they came at about this time on enough of the last 14 days, not when they are here already', () => {
  const now = t('2026-10-10T08:55:00Z');
  const rule = { leadSeconds: 300, minDays: 3 };
  const days = (list: Array<[number, string]>) => list.map(([d, hm]) => t(`2026-10-${String(10 - d).padStart(2, '0')}T${hm}:00Z`));
  assert.equal(expectedSoon(days([[1, '09:00'], [2, '09:25'], [3, '08:40']]), now, rule), true);
  assert.equal(expectedSoon(days([[1, '09:00'], [2, '09:31'], [3, '08:40']]), now, rule), false, 'a visit 31 minutes off counted');
  assert.equal(expectedSoon(days([[1, '09:00'], [1, '09:05'], [2, '09:00']]), now, rule), false, 'two visits on one day counted as two days');
  assert.equal(expectedSoon([...days([[1, '09:00'], [2, '09:00'], [3, '09:00']]), t('2026-10-10T08:30:00Z')], now, rule), false, 'resumed for a learner who is here');
});

test('habit: resumed the lead before the usual time (the median of the days), not at the start of the half hour', () => {
  const rule = { leadSeconds: 300, minDays: 3 };
  const visits = ['07T09:00', '08T09:12', '09T08:48'].map((dhm) => t(`2026-10-${dhm}:00Z`));
  assert.equal(expectedAt(visits, t('2026-10-10T08:25:00Z'), rule), null, 'expected 35 minutes before the usual time');
  assert.equal(expectedAt(visits, t('2026-10-10T08:54:00Z'), rule), null, 'expected 6 minutes before the usual time with a lead of 5');
  assert.deepEqual(expectedAt(visits, t('2026-10-10T08:55:00Z'), rule), t('2026-10-10T09:00:00Z'));
  // The learner is late: still expected, at the usual time.
  assert.deepEqual(expectedAt(visits, t('2026-10-10T09:05:00Z'), rule), t('2026-10-10T09:00:00Z'));
});

test("the config file's schedules: times are checked when the config loads, a lab that did not load is only warned about", () => {
  const env = (value: unknown) => ({ STACKLAB_SCHEDULES: JSON.stringify(value) });
  const good = { course: 'c', lab: 'l', start: '2026-09-01T09:00:00Z', end: '2026-09-01T11:00:00+01:00', learners: 5 };
  const { config } = loadConfig({ env: env([good]) });
  assert.deepEqual(config.schedules, [{ course: 'c', lab: 'l', start: t('2026-09-01T09:00:00Z'), end: t('2026-09-01T10:00:00Z'), learners: 5, leadSeconds: 900, weeklyUntil: null, timeZone: null }]);
  assert.equal(loadConfig({ env: env([{ ...good, time_zone: 'Europe/Berlin' }]) }).config.schedules[0]?.timeZone, 'Europe/Berlin');
  assert.throws(() => loadConfig({ env: env([{ ...good, time_zone: 'Berlin' }]) }), /must be an IANA time zone/);
  assert.throws(() => loadConfig({ env: env([{ ...good, start: 'Tuesday' }]) }), /schedules \(STACKLAB_SCHEDULES\): must be an ISO 8601 time/);
  const labs = mapCatalog([testLab({ id: 'l', pool: { size: 0, state: 'suspended', perRun: false, runs: [] } })]);
  const warnings: string[] = [];
  const classes = configuredClasses([...config.schedules, { ...config.schedules[0]!, lab: 'gone' }], labs, (w) => warnings.push(w));
  assert.deepEqual(classes.map((c) => [c.id, c.source]), [['config-1', 'config'], ['config-2', 'config']]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^schedules\[1\]: lab 'gone'/);
  assert.throws(() => configuredClasses([{ ...config.schedules[0]!, end: config.schedules[0]!.start }], labs, () => {}), /schedules\[0\]: the class times do not make a class \(endsBeforeStart\)/);
});
