/**
 * Predictive resume from an LTI launch (docs/pools.md): a learner who opens one lab of a course from the
 * LMS finds their suspended stack of the course's other lab resumed already, before its page asks;
 * their stack of another course is left alone. Real HTTP, the Open edX emulator, the real store and worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { COURSE_OPEN_ACTOR } from '../../src/services/predictive-resume.ts';
import { settle } from '../support/test-runtime.ts';
import { MiniBrowser } from './emulator/mini-browser.ts';
import { API_TOKEN, startHarness, type Harness } from './harness.ts';

const COURSE = 'course-v1:StackLabX+PRED101+2026_T1';

describe('predictive resume from an LTI launch', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  test("opening one lab of a course resumes the learner's suspended stack of its other lab", async () => {
    const user = h.emulator.addUser('pred-learner', 'student');
    const open = async (lab: string, courseKey = COURSE) => {
      const block = h.emulator.addBlock({ courseKey, custom: { lab } });
      const browser = new MiniBrowser();
      const answer = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(user, block)));
      assert.match(answer.url, new RegExp(`/lab/${lab}`), answer.text.slice(0, 200));
    };
    const stackOf = async (lab: string, context = COURSE) => (await h.runtime.ctx.stacks.list({ lab, context })).find((s) => !s.pool)!;
    const suspend = async (lab: string, context = COURSE) => {
      const stack = await stackOf(lab, context);
      await settle(h.runtime);
      await h.runtime.ctx.stacks.requestSuspend(stack.id, 'test');
      await settle(h.runtime);
      assert.equal((await h.runtime.ctx.stacks.get(stack.id)).state, 'SUSPENDED');
      return stack.id;
    };

    await open('linux-basics');
    const earlier = await suspend('linux-basics');
    await open('linux-basics', 'course-v1:StackLabX+OTHER+2026_T1');
    const otherCourse = await suspend('linux-basics', 'course-v1:StackLabX+OTHER+2026_T1');

    await open('networking');
    const resumed = await h.runtime.ctx.stacks.get(earlier);
    assert.equal(resumed.state, 'RESUME_PENDING', 'the stack of the course\'s other lab was not resumed ahead of its page');
    assert.equal((await h.runtime.ctx.stacks.events(earlier)).at(-1)!.actor, COURSE_OPEN_ACTOR);
    assert.equal((await h.runtime.ctx.stacks.get(otherCourse)).state, 'SUSPENDED', "another course's stack was resumed");
    await settle(h.runtime);

    // The LMS's own signal names the learner as it knows them: the platform and their sub.
    const both = [await suspend('linux-basics'), await suspend('networking')];
    const signal = await fetch(`${h.tool}/api/v1/course-opens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ platform: 'openedx', sub: user.sub, context: COURSE }),
    });
    assert.equal(signal.status, 200, await signal.clone().text());
    assert.deepEqual(((await signal.json()) as { resumed: string[] }).resumed.sort(), [...both].sort());
    for (const id of both) assert.equal((await h.runtime.ctx.stacks.get(id)).state, 'RESUME_PENDING');
    const unknown = await fetch(`${h.tool}/api/v1/course-opens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', 'accept-language': 'pt-BR' },
      body: JSON.stringify({ platform: 'moodle', sub: user.sub, context: COURSE }),
    });
    assert.equal(unknown.status, 400);
    assert.equal(((await unknown.json()) as { message: string }).message, 'Não há nenhuma plataforma LTI chamada moodle neste servidor.');
    await settle(h.runtime);
  });
});
