/**
 * Predictive resume (docs/pools.md): opening a lab of a course through the lab page (or an LMS's signal
 * that the course was opened) resumes the learner's suspended stacks of the course's other labs (the
 * most recently used, as many as the setting says, not another course's, not one whose time budget is
 * used up), and the idle suspender takes back one they do not open; habit resume resumes them before the time of day the learner usually comes,
 * once. The real store on both backends, the HTTP app by inject, the worker and the sweeps; the fake
 * provider stands in for the cloud.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { HABIT_JOB } from '../../src/app/create-context.ts';
import { PredictiveStore } from '../../src/db/predictive-store.ts';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { COURSE_OPEN_ACTOR, HABIT_ACTOR, PredictiveResume } from '../../src/services/predictive-resume.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const COURSE = 'course-v1:Org+Pred+2026_T1';
const OTHER = 'course-v1:Org+Else+2026_T1';
const MIN = 60;
const SUSPEND = 120;

for (const backend of BACKENDS) {
  describe(`predictive resume on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let rt: TestRuntime;
    let app: FastifyInstance;
    const timeouts = { launch: 900, suspend: SUSPEND, deleteAge: 14 * 24 * 3600, check: 120, remoteExec: 300 };
    before(async () => {
      rt = await testRuntime({
        backend,
        providers: [new FakeProvider('fake')],
        labs: ['a', 'b', 'c', 'd'].map((id) => testLab({ id, timeouts })).concat(testLab({ id: 'blocked', timeouts, usageLimit: { seconds: 60, mode: 'block' } })),
        overrides: { predictive_resume: 2, habit_resume: true, habit_resume_days: 3, habit_resume_lead: 300 },
      });
      rt.clock.set(new Date('2026-10-01T08:00:00Z'));
      app = await buildApp(rt.ctx);
    });
    after(async () => {
      await app?.close();
      await rt?.close();
    });

    /** The learner's stack of `lab` in `context`, launched, run for `runFor` seconds and suspended. */
    async function suspendedStack(learner: string, context: string, lab: string, runFor = 10) {
      const stack = await rt.ctx.stacks.launch({ learner, context, lab, actor: 'test' });
      await settle(rt);
      rt.clock.advance(runFor);
      await rt.ctx.stacks.requestSuspend(stack.id, 'test');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
      rt.clock.advance(MIN);
      return stack.id;
    }
    const openLab = async (learner: string, context: string, lab: string) => {
      const session = await issueSession(rt.ctx.keys, { learner, context, roles: ['Learner'] }, 600);
      const answer = await app.inject({ method: 'POST', url: `/api/v1/me/labs/${lab}/launch`, headers: { authorization: `Bearer ${session}` } });
      assert.equal(answer.statusCode, 200, answer.body);
    };
    const state = async (id: string) => (await rt.ctx.stacks.get(id)).state;

    test("opening a lab resumes the learner's most recently used suspended stacks of the course's other labs, no more than the setting", async () => {
      const b = await suspendedStack('ada', COURSE, 'b');
      const c = await suspendedStack('ada', COURSE, 'c');
      const d = await suspendedStack('ada', COURSE, 'd');
      const elsewhere = await suspendedStack('ada', OTHER, 'b');
      await openLab('ada', COURSE, 'a');
      assert.equal(await state(d), 'RESUME_PENDING', 'the most recently used lab of the course was not resumed ahead');
      assert.equal(await state(c), 'RESUME_PENDING');
      assert.equal(await state(b), 'SUSPENDED', 'more stacks were resumed than predictive_resume allows');
      assert.equal(await state(elsewhere), 'SUSPENDED', "another course's stack was resumed");
      const event = (await rt.ctx.stacks.events(d)).at(-1)!;
      assert.equal(event.actor, COURSE_OPEN_ACTOR);
      assert.match(event.reason, /opened lab a of the course/);

      // Unopened, it runs only until its lab's suspend timeout: the idle suspender takes it back.
      await settle(rt);
      assert.equal(await state(d), 'READY');
      rt.clock.advance(SUSPEND - 5);
      await rt.scheduler.run('suspender');
      assert.equal(await state(d), 'READY', 'suspended before its suspend timeout');
      rt.clock.advance(10);
      await rt.scheduler.run('suspender');
      await settle(rt);
      assert.equal(await state(d), 'SUSPENDED', 'a stack resumed ahead and never opened kept running');
    });

    test('a stack whose time budget is used up stays suspended; with the setting at 0 nothing is resumed', async () => {
      const blocked = await suspendedStack('bea', COURSE, 'blocked', 120);
      const b = await suspendedStack('bea', COURSE, 'b');
      await openLab('bea', COURSE, 'a');
      assert.equal(await state(blocked), 'SUSPENDED', 'a stack past its block budget was resumed');
      assert.equal(await state(b), 'RESUME_PENDING');
      await settle(rt);

      const c = await suspendedStack('bea', COURSE, 'c');
      const off = new PredictiveResume({ db: rt.ctx.db, stacks: rt.ctx.stacks, clock: rt.clock, logger: pino({ level: 'silent' }), settings: { courseOpen: 0, habit: null } });
      assert.deepEqual(await off.courseOpened({ learner: 'bea', context: COURSE, lab: 'a' }), []);
      assert.equal(await state(c), 'SUSPENDED');
    });

    test("a configured signal (the API token's POST /api/v1/course-opens) resumes the learner's stacks of the course before any lab is opened", async () => {
      const b = await suspendedStack('eve', COURSE, 'b');
      const c = await suspendedStack('eve', COURSE, 'c');
      const url = '/api/v1/course-opens';
      assert.equal((await app.inject({ method: 'POST', url, payload: { learner: 'eve', context: COURSE } })).statusCode, 401);
      const answer = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer test-token-0123456789abcdef' }, payload: { learner: 'eve', context: COURSE } });
      assert.equal(answer.statusCode, 200, answer.body);
      assert.deepEqual(answer.json(), { resumed: [c, b] });
      assert.equal(await state(b), 'RESUME_PENDING');
      assert.equal((await rt.ctx.stacks.events(c)).at(-1)!.reason, 'resumed ahead: the learner opened the course');
      await settle(rt);
      const nobody = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer test-token-0123456789abcdef', 'accept-language': 'de' }, payload: { context: COURSE } });
      assert.equal(nobody.statusCode, 400);
      assert.match(nobody.json().message, /^Nennen Sie die lernende Person/);
    });

    test('habit resume: a few minutes before the time of day a learner opened the course on enough days, once', async () => {
      const habitual = await suspendedStack('cai', COURSE, 'b');
      const now = new Date('2026-10-10T08:55:00Z');
      const visit = async (learner: string, daysAgo: number, hhmm: string) => {
        rt.clock.set(new Date(`${new Date(now.getTime() - daysAgo * 24 * 3600_000).toISOString().slice(0, 10)}T${hhmm}:00Z`));
        // Opening lab b itself: no other lab of theirs to resume ahead, only the visit is kept.
        await rt.ctx.predictive.courseOpened({ learner, context: COURSE, lab: 'b' });
      };
      await visit('cai', 3, '09:00');
      await visit('cai', 2, '09:10');
      // Another learner who comes in the afternoon.
      const afternoon = await suspendedStack('dan', COURSE, 'b');
      for (const days of [1, 2, 3, 4]) await visit('dan', days, '14:00');

      // The pass reads only the visits near its time of day: not the afternoon learner's.
      const near = await new PredictiveStore(rt.ctx.db).visitsNear({ since: new Date(now.getTime() - 15 * 24 * 3600_000), target: new Date(now.getTime() + 300_000), windowSeconds: 1800, recent: new Date(now.getTime() - 3600_000) });
      assert.deepEqual(near.map((v) => [v.learner, v.at.toISOString()]), [['cai', '2026-10-07T09:00:00.000Z'], ['cai', '2026-10-08T09:10:00.000Z']]);
      rt.clock.set(now);
      await rt.scheduler.runJob(HABIT_JOB);
      assert.equal(await state(habitual), 'SUSPENDED', 'two days of the last 14 were taken for a habit (habit_resume_days is 3)');
      await visit('cai', 1, '08:50');
      rt.clock.set(now);
      await rt.scheduler.runJob(HABIT_JOB);
      assert.equal(await state(habitual), 'RESUME_PENDING', 'the learner who comes at 9:00 three days running was not resumed at 8:55');
      assert.equal((await rt.ctx.stacks.events(habitual)).at(-1)!.actor, HABIT_ACTOR);
      assert.equal(await state(afternoon), 'SUSPENDED', "a learner was resumed at another learner's hour");

      // Not opened and suspended again: the same habit does not resume it a second time.
      await settle(rt);
      await rt.ctx.stacks.requestSuspend(habitual, 'test');
      await settle(rt);
      rt.clock.set(new Date(now.getTime() + 5 * MIN));
      await rt.scheduler.runJob(HABIT_JOB);
      assert.equal(await state(habitual), 'SUSPENDED', 'one habit resumed the stack twice');
    });

    test('habit resume: the stack runs until as long after the usual time as it was resumed before it, then the suspender takes it back', async () => {
      const stack = await suspendedStack('eve', COURSE, 'c');
      const usual = new Date('2026-10-20T10:00:00Z');
      for (const days of [1, 2, 3]) {
        rt.clock.set(new Date(usual.getTime() - days * 24 * 3600_000));
        await rt.ctx.predictive.courseOpened({ learner: 'eve', context: COURSE, lab: 'c' });
      }
      rt.clock.set(new Date(usual.getTime() - 6 * MIN * 1000));
      await rt.scheduler.runJob(HABIT_JOB);
      assert.equal(await state(stack), 'SUSPENDED', 'resumed more than the lead (300 s) before the usual time');
      rt.clock.set(new Date(usual.getTime() - 5 * MIN * 1000));
      await rt.scheduler.runJob(HABIT_JOB);
      await settle(rt);
      assert.equal(await state(stack), 'READY');
      // Past its own suspend timeout (120 s), at the usual time and a little after it: still running.
      rt.clock.set(new Date(usual.getTime() + 4 * MIN * 1000));
      await rt.scheduler.run('suspender');
      assert.equal(await state(stack), 'READY', "suspended before the learner's usual time");
      rt.clock.set(new Date(usual.getTime() + (5 * MIN + 1) * 1000));
      await rt.scheduler.run('suspender');
      await settle(rt);
      assert.equal(await state(stack), 'SUSPENDED', 'a wrong guess kept running past its hold');
    });
  });
}
