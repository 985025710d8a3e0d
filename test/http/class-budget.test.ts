/**
 * A learner's time budget from the class view (src/http/routes/class-budget.ts): the roster shows each
 * learner's budget where the lab has one, and an instructor extends it for a stack of their own course
 * only; the extension moves a running lab's deadline and is written in the stack's history with the
 * instructor. On PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueSession } from '../../src/http/session.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const INSTRUCTOR = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor';
const LEARNER = 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner';

interface Budget {
  mode: string;
  budgetSeconds: number;
  usedSeconds: number;
  leftSeconds: number;
  exhausted: boolean;
}

for (const backend of BACKENDS) {
  describe(`class view budgets on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let t: TestApp;
    let teacher: string;
    let adaStack: string;
    let freeStack: string;

    before(async () => {
      t = await testApp({}, { backend, labs: [testLab({ usageLimit: { seconds: 7200, mode: 'block' } }), testLab({ id: 'free', title: 'No limit' })] });
      const { rt } = t;
      teacher = await issueSession(rt.ctx.keys, { learner: 'prof', context: 'c1', roles: [INSTRUCTOR] }, 600);
      adaStack = (await rt.ctx.stacks.launch({ learner: 'ada', context: 'c1', lab: 'demo', actor: 'test' })).id;
      freeStack = (await rt.ctx.stacks.launch({ learner: 'ada', context: 'c1', lab: 'free', actor: 'test' })).id;
      await settle(rt);
      rt.clock.advance(1800);
    });
    after(async () => t?.close());

    const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    const extend = (token: string, stackId: string, payload: object) => call(token, 'POST', `/api/v1/class/stacks/${stackId}/budget/extensions`, payload);

    test('the roster shows the time used and left of a learner whose lab has a budget, and none for a lab without', async () => {
      const roster = await call(teacher, 'GET', '/api/v1/class');
      assert.equal(roster.statusCode, 200, roster.body);
      const learners = roster.json<{ learners: { stackId: string; budget: Budget | null }[] }>().learners;
      const ada = learners.find((l) => l.stackId === adaStack)!;
      assert.ok(ada.budget, 'a budget for the limited lab');
      assert.equal(ada.budget.budgetSeconds, 7200);
      assert.equal(ada.budget.mode, 'block');
      assert.ok(ada.budget.usedSeconds >= 1800 && ada.budget.usedSeconds < 1900, `used: ${ada.budget.usedSeconds}`);
      assert.equal(ada.budget.leftSeconds, 7200 - ada.budget.usedSeconds);
      assert.equal(learners.find((l) => l.stackId === freeStack)!.budget, null);
    });

    test("an instructor extends a learner's budget: the roster, the running lab's deadline and the history follow", async () => {
      const before = (await t.rt.ctx.stacks.get(adaStack)).suspendBy;
      const answer = await extend(teacher, adaStack, { seconds: 3600 });
      assert.equal(answer.statusCode, 200, answer.body);
      const { budget } = answer.json<{ stackId: string; budget: Budget }>();
      assert.equal(budget.budgetSeconds, 10_800);
      const after = (await t.rt.ctx.stacks.get(adaStack)).suspendBy;
      assert.ok(after && before && after.getTime() - before.getTime() >= 3_599_000, `the running lab's deadline moved by the hour: ${before?.toISOString()} -> ${after?.toISOString()}`);
      const roster = (await call(teacher, 'GET', '/api/v1/class')).json<{ learners: { stackId: string; budget: Budget | null }[] }>();
      assert.equal(roster.learners.find((l) => l.stackId === adaStack)!.budget?.budgetSeconds, 10_800);
      const entry = (await t.rt.ctx.stacks.events(adaStack)).at(-1)!;
      assert.deepEqual([entry.kind, entry.toState, entry.actor, entry.reason], ['staff_action', 'READY', 'instructor:prof', 'added 1 h of lab time to the budget (from the class view)']);
      const staff = await call(teacher, 'GET', `/api/v1/class/stacks/${adaStack}/staff-actions`);
      // The English for other clients, and the catalogue message the class view says it with (migration 017).
      assert.deepEqual(
        staff.json<{ actions: { what: string; whatKey: string; whatValues: object; actor: string }[] }>().actions.map((a) => [a.actor, a.what, a.whatKey, a.whatValues]),
        [['instructor:prof', 'added 1 h of lab time to the budget (from the class view)', 'history.budgetExtendedNote', { hours: 1, minutes: 0, seconds: 0, note: 'from the class view' }]],
      );
    });

    test("a recording that is not the course's is refused with its own sentence, in the instructor's language", async () => {
      const answer = await t.app.inject({ method: 'GET', url: '/api/v1/class/recordings/no-such-recording', headers: { authorization: `Bearer ${teacher}`, 'accept-language': 'de' } });
      assert.equal(answer.statusCode, 404, answer.body);
      assert.equal(answer.json<{ message: string }>().message, translator('de')('error.NOT_FOUND.noSuchRecording'));
    });

    test("learners may not extend (403), another course's instructor finds no such stack (404), bad amounts and labs without a budget are refused", async () => {
      const learner = await issueSession(t.rt.ctx.keys, { learner: 'ada', context: 'c1', roles: [LEARNER] }, 600);
      const other = await issueSession(t.rt.ctx.keys, { learner: 'prof2', context: 'c2', roles: [INSTRUCTOR] }, 600);
      const granted = (await t.rt.ctx.stacks.budgets.store.extensions('ada', 'c1', 'demo')).length;
      const asLearner = await extend(learner, adaStack, { seconds: 3600 });
      assert.equal(asLearner.statusCode, 403);
      assert.equal(asLearner.json().code, 'FORBIDDEN');
      const otherCourse = await extend(other, adaStack, { seconds: 3600 });
      assert.equal(otherCourse.statusCode, 404);
      assert.equal(otherCourse.json().code, 'STACK_NOT_FOUND');
      for (const seconds of [0, -60, 1.5, 'an hour', 366 * 24 * 3600 + 1]) {
        const bad = await extend(teacher, adaStack, { seconds });
        assert.equal(bad.statusCode, 400, `${seconds}: ${bad.body}`);
      }
      const unlimited = await extend(teacher, freeStack, { seconds: 3600 });
      assert.equal(unlimited.statusCode, 400);
      assert.match(unlimited.json().message, /no time budget/);
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/class/stacks/${adaStack}/budget/extensions`, payload: { seconds: 60 } })).statusCode, 401);
      assert.equal((await t.rt.ctx.stacks.budgets.store.extensions('ada', 'c1', 'demo')).length, granted, 'nothing refused was granted');
    });
  });
}
