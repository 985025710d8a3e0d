/** Check results become grades at the platform's line item (AGS), through the durable outbox. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Block, User } from './emulator/open-edx-emulator.ts';
import { API_TOKEN, checkCompleted, launchLearner, startHarness, type Harness, type LaunchedLearner } from './harness.ts';
import { eventually } from '../support/eventually.ts';

const COURSE = 'course-v1:StackLabX+NET201+2026_T2';

describe('LTI grade passback', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const launched = (lab: string, agsMode: Block['agsMode'] = 'declarative') => launchLearner(h, lab, agsMode, COURSE);
  const checkDone = (l: LaunchedLearner, lab: string, score: number) => checkCompleted(h.runtime, l, lab, score);

  const grade = (user: User, block: Block) => h.emulator.ags.grade(block, user.sub);

  test('a check result becomes a grade at the line item of the launch', async () => {
    const l = await launched('linux-basics');
    checkDone(l, 'linux-basics', 0.75);
    assert.equal(await eventually(() => grade(l.user, l.block), 10_000, 'grade'), 0.75);
    const [post] = h.emulator.ags.scorePosts.filter((p) => (p.body as { userId?: string })?.userId === l.user.sub);
    assert.equal(post.status, 201);
    const body = post.body as Record<string, unknown>;
    assert.equal(body.scoreGiven, 0.75);
    assert.equal(body.scoreMaximum, 1);
    assert.equal(body.activityProgress, 'Completed');
    assert.equal(body.gradingProgress, 'FullyGraded');
    assert.ok(!Number.isNaN(Date.parse(String(body.timestamp))));
  });

  test("grade policy 'best' keeps the highest score; 'latest' follows the newest", async () => {
    const best = await launched('linux-basics');
    checkDone(best, 'linux-basics', 0.5);
    await eventually(() => (grade(best.user, best.block) === 0.5 ? true : undefined), 10_000, 'first best grade');
    checkDone(best, 'linux-basics', 0.25);
    checkDone(best, 'linux-basics', 1);
    await eventually(() => (grade(best.user, best.block) === 1 ? true : undefined), 10_000, 'raised best grade');
    checkDone(best, 'linux-basics', 0);
    const latest = await launched('networking');
    checkDone(latest, 'networking', 1);
    await eventually(() => (grade(latest.user, latest.block) === 1 ? true : undefined), 10_000, 'first latest grade');
    checkDone(latest, 'networking', 0.25);
    await eventually(() => (grade(latest.user, latest.block) === 0.25 ? true : undefined), 10_000, 'lowered latest grade');
    // By now the 'best' learner's 0 was handled too: skipped, the platform still holds 1.
    const response = await fetch(`${h.tool}/api/v1/lti/grades?learner=${best.session.learner}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const { grades } = (await response.json()) as { grades: Array<{ score: number; status: string }> };
    assert.equal(grades.find((g) => g.score === 0)?.status, 'skipped');
    assert.equal(grade(best.user, best.block), 1);
  });

  test('the platform down while grading: the grade arrives after it comes back', async () => {
    const l = await launched('linux-basics');
    await h.emulator.stop();
    try {
      checkDone(l, 'linux-basics', 0.6);
      // The outbox tried, failed and holds the grade for a retry.
      await eventually(async () => {
        const [row] = await h.runtime.ctx.db.query<{ status: string; attempts: number; last_error: string | null }>(
          'SELECT status, attempts, last_error FROM lti_grade_outbox WHERE learner = $1',
          [l.session.learner],
        );
        return row && row.attempts >= 2 && row.status === 'pending' && row.last_error ? row : undefined;
      }, 10_000, 'failed attempts');
    } finally {
      await h.emulator.restart();
    }
    assert.equal(await eventually(() => grade(l.user, l.block), 10_000, 'grade after restart'), 0.6);
  });

  test('a launch without AGS queues nothing', async () => {
    const l = await launched('linux-basics', 'disabled');
    const queued = await h.app.inject({ method: 'GET', url: `/api/v1/lti/grades?learner=${l.session.learner}`, headers: { authorization: `Bearer ${API_TOKEN}` } });
    checkDone(l, 'linux-basics', 1);
    await new Promise((r) => setTimeout(r, 300));
    const after = await h.app.inject({ method: 'GET', url: `/api/v1/lti/grades?learner=${l.session.learner}`, headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.deepEqual(queued.json().grades, []);
    assert.deepEqual(after.json().grades, []);
  });
});
