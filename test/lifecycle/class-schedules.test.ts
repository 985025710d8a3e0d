/**
 * Class schedules size the warm pools (docs/pools.md, "Schedules"): on an injected clock, a class's
 * pool fills from its lead time before the start for the learners still expected, does not refill
 * behind the learners who came, and drains after the end; weekly classes again the next week; a class
 * for every lab of a course reaches a per-run lab's pool for its run. The real store on both backends,
 * the real filler and worker; the fake provider stands in for the cloud.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const MIN = 60;
const START = new Date('2026-09-01T09:00:00Z');

for (const backend of BACKENDS) {
  describe(`class schedules on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let fake: FakeProvider;
    // No pool of its own (size 0): only classes fill it.
    const classLab = testLab({ id: 'classlab', pool: { size: 0, state: 'suspended', perRun: false, runs: [] } });
    // A template that takes `run`: one pool per course run, and no run listed.
    const perRun = testLab({ id: 'perrun', pool: { size: 0, state: 'suspended', perRun: true, runs: [] } });
    before(async () => {
      fake = new FakeProvider('fake');
      rt = await testRuntime({ backend, providers: [fake], labs: mapCatalog([classLab, perRun, testLab({ id: 'plain' })]) });
      rt.ctx.lifecycleHooks.personalize = async () => {};
    });
    after(async () => rt?.close());

    const at = (seconds: number) => rt.clock.set(new Date(START.getTime() + seconds * 1000));
    /** Filler passes and the worker until the pools stand still. */
    const fillAndSettle = async () => {
      for (let i = 0; i < 3; i++) {
        await rt.scheduler.runJob('warm pools');
        await settle(rt);
      }
    };
    const live = async (lab: string, run?: string) =>
      (await rt.ctx.stacks.list({ lab, limit: 1000 })).filter((s) => s.pool && s.state !== 'DELETED' && (run === undefined || s.run === run));
    const creates = () => fake.calls.filter((c) => c.op === 'create').length;

    test('a class fills its lab\'s pool from its lead time, not before, for the learners still expected; it drains after the end', async () => {
      at(-2 * 3600);
      const course = 'course-v1:Org+Ops101+2026_T3';
      const added = await rt.ctx.schedules.add(
        { course, lab: 'classlab', start: START, end: new Date(START.getTime() + 2 * 3600_000), learners: 4, leadSeconds: 15 * MIN },
        'test',
        rt.clock.now(),
      );
      await fillAndSettle();
      assert.equal((await live('classlab')).length, 0, 'the pool filled two hours before the class');
      at(-16 * MIN);
      await fillAndSettle();
      assert.equal((await live('classlab')).length, 0, 'the pool filled before its lead time');
      at(-14 * MIN);
      await fillAndSettle();
      assert.deepEqual((await live('classlab')).map((s) => s.state), ['SUSPENDED', 'SUSPENDED', 'SUSPENDED', 'SUSPENDED']);
      assert.deepEqual((await rt.ctx.pools.list()).find((p) => p.lab === 'classlab'), { lab: 'classlab', run: '', size: 4, state: 'suspended', ready: 4, filling: 0, stale: 0 });

      // The class comes: two learners take pool stacks; the pool is not refilled behind them.
      at(2 * MIN);
      const made = creates();
      const ada = await rt.ctx.stacks.launch({ learner: 'ada', context: course, lab: 'classlab', actor: 'test' });
      const bob = await rt.ctx.stacks.launch({ learner: 'bob', context: course, lab: 'classlab', actor: 'test' });
      assert.ok(ada.claimedAt && bob.claimedAt, 'the learners did not get pool stacks');
      await fillAndSettle();
      assert.equal((await live('classlab')).length, 2, 'the pool refilled behind learners who came');
      assert.equal(creates(), made);

      // After the end the lab's own size (0) holds again: the rest go.
      at(2 * 3600 + MIN);
      await fillAndSettle();
      assert.equal((await live('classlab')).length, 0, 'the pool did not drain after the class');
      assert.equal((await rt.ctx.stacks.get(ada.id)).state, 'READY', "a learner's stack went with the pool");
      await rt.ctx.schedules.remove(added.id);
    });

    test("a class's time zone is stored and read back; its weeks open at the zone's local time after a daylight-saving change", async () => {
      const course = 'course-v1:Org+Zone+2026_T4';
      // Tuesdays 09:00-11:00 Berlin time: 07:00Z in summer time, 08:00Z after 2026-10-25.
      const zoned = await rt.ctx.schedules.add(
        { course, lab: 'classlab', start: new Date('2026-10-20T07:00:00Z'), end: new Date('2026-10-20T09:00:00Z'), learners: 6, leadSeconds: 15 * MIN, weeklyUntil: new Date('2026-11-30T00:00:00Z'), timeZone: 'Europe/Berlin' },
        'test',
        rt.clock.now(),
      );
      assert.equal(zoned.timeZone, 'Europe/Berlin');
      assert.deepEqual((await rt.ctx.schedules.store.list(course)).map((c) => c.timeZone), ['Europe/Berlin']);
      const size = async (iso: string) => (await rt.ctx.schedules.sizingAt(new Date(iso)))(classLab, { lab: 'classlab', run: '' });
      assert.equal(await size('2026-10-20T06:50:00Z'), 6, 'the first week did not open at its lead time');
      assert.equal(await size('2026-10-27T06:50:00Z'), 0, 'the week after the change opened at the summer UTC time');
      assert.equal(await size('2026-10-27T07:50:00Z'), 6, 'the week after the change did not open before 09:00 local');
      assert.equal(await size('2026-10-27T09:59:00Z'), 6, 'the week after the change closed before 11:00 local');
      await rt.ctx.schedules.remove(zoned.id);
    });

    test('a weekly class for every lab of a course fills the per-run pool of the run its launches carry, each week, and drains it', async () => {
      const course = 'course-v1:Org+Net201+2026_T4';
      // The course is known to use `perrun` once a learner has a stack of it (no pool yet: a plain launch).
      at(-7 * 24 * 3600);
      const first = await rt.ctx.stacks.launch({ learner: 'cleo', context: course, lab: 'perrun', run: '2026_T4', actor: 'test' });
      assert.equal(first.claimedAt, null);
      const weekly = await rt.ctx.schedules.add(
        { course, lab: null, start: START, end: new Date(START.getTime() + 3600_000), learners: 3, leadSeconds: 10 * MIN, weeklyUntil: new Date(START.getTime() + 8 * 24 * 3600_000) },
        'test',
        rt.clock.now(),
      );
      at(-5 * MIN);
      await fillAndSettle();
      // Three expected, one (cleo) already has her stack: two.
      const pooled = await live('perrun');
      assert.equal(pooled.length, 2, 'the course-wide class did not fill the per-run pool for the learners still expected');
      assert.ok(pooled.every((s) => s.run === '2026_T4'), 'the pool was not made for the course run');
      assert.equal((await live('classlab')).length, 0, 'a lab the course does not use was filled');

      at(3600 + MIN);
      await fillAndSettle();
      assert.equal((await live('perrun')).length, 0, 'the per-run pool did not drain after the class');

      // The same time next week.
      at(7 * 24 * 3600 - 5 * MIN);
      await fillAndSettle();
      assert.equal((await live('perrun', '2026_T4')).length, 2, 'the weekly class did not fill the pool the next week');
      at(7 * 24 * 3600 + 3600 + MIN);
      await fillAndSettle();
      assert.equal((await live('perrun')).length, 0);

      // Two weeks on is past weekly_until: nothing.
      at(14 * 24 * 3600 - 5 * MIN);
      await fillAndSettle();
      assert.equal((await live('perrun')).length, 0, 'a class past its weekly_until filled the pool');
      await rt.ctx.schedules.remove(weekly.id);
    });
  });
}
