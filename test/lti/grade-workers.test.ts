/**
 * LTI background work runs in the workers, not in the HTTP server: the HTTP side only queues grades,
 * a worker-only process sends them to the platform's AGS endpoint (the Open edX emulator), and two
 * workers on one database send each grade once and rotate the tool key once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GRADE_JOB, LTI_HOUSEKEEPING_JOB } from '../../src/jobs/lti-jobs.ts';
import type { HousekeepingStats } from '../../src/lti/lti-module.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { checkCompleted, launchLearner, startHarness, type Harness, type LaunchedLearner } from './harness.ts';
import { eventually } from '../support/eventually.ts';

const postgresUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`LTI jobs in workers on ${backend}`, { skip: backend === 'postgres' ? skipUnless(postgresUp, 'PostgreSQL at 127.0.0.1:5432') : false }, () => {
    let h: Harness;
    before(async () => {
      // The HTTP server alone, as `stacklab serve --no-worker`: it queues grades and sends none.
      h = await startHarness({ backend, jobs: false });
    });
    after(async () => {
      await h.close();
    });

    const rows = (l: LaunchedLearner) =>
      h.runtime.ctx.db.query<{ status: string; score: number }>('SELECT status, score FROM lti_grade_outbox WHERE learner = $1 ORDER BY id', [l.session.learner]);
    const postsFor = (l: LaunchedLearner) => h.emulator.ags.scorePosts.filter((p) => (p.body as { userId?: string })?.userId === l.user.sub);

    /** Queues one result and waits for its row, so rows of one learner are in the order of the results. */
    async function queued(l: LaunchedLearner, lab: string, score: number): Promise<void> {
      const before = (await rows(l)).length;
      checkCompleted(h.runtime, l, lab, score);
      await eventually(async () => ((await rows(l)).length > before ? true : undefined), 10_000, 'the grade in the outbox');
    }

    test('a worker-only runtime (no HTTP server) sends a grade the HTTP side queued', async (t) => {
      const l = await launchLearner(h, 'linux-basics');
      await queued(l, 'linux-basics', 0.75);
      // Long enough for an in-process sender to have posted (its passes start at once when poked).
      await sleep(500);
      assert.equal(postsFor(l).length, 0, 'the HTTP side sent a grade itself');
      assert.deepEqual(await rows(l), [{ status: 'pending', score: 0.75 }]);

      const worker = await h.startWorker('worker-only');
      // Its grade job stops with this test, so it cannot send the next test's grades behind its back.
      t.after(() => worker.scheduler.stop());
      assert.equal(await eventually(() => h.emulator.ags.grade(l.block, l.user.sub), 10_000, 'the grade at the platform'), 0.75);
      assert.deepEqual(await eventually(async () => ((await rows(l))[0]?.status === 'sent' ? rows(l) : undefined), 5_000, 'the row marked sent'), [
        { status: 'sent', score: 0.75 },
      ]);
      assert.equal(postsFor(l).length, 1);
    });

    test('two workers draining at once send each grade once', async () => {
      // Three results per learner wait in the outbox; each learner's grade is one POST, whatever the
      // two workers claim: 'best' sends the highest, 'latest' the newest.
      const plans = [
        { lab: 'linux-basics', scores: [0.5, 0.25, 1], expected: 1 },
        { lab: 'networking', scores: [1, 0.5, 0.25], expected: 0.25 },
        { lab: 'linux-basics', scores: [0.2, 0.4, 0.3], expected: 0.4 },
        { lab: 'networking', scores: [0.1, 0.9, 0.6], expected: 0.6 },
      ];
      const learners = [];
      for (const plan of plans) {
        const l = await launchLearner(h, plan.lab);
        for (const score of plan.scores) await queued(l, plan.lab, score);
        learners.push({ l, plan });
      }
      const a = await h.startWorker('worker-a', { jobs: false });
      const b = await h.startWorker('worker-b', { jobs: false });
      const passes = (await Promise.all([a.scheduler.runJob(GRADE_JOB), b.scheduler.runJob(GRADE_JOB)])) as Array<{ sent: number }>;
      assert.equal(passes[0].sent + passes[1].sent, plans.length, `sent per worker: ${passes.map((p) => p.sent).join(', ')}`);
      for (const { l, plan } of learners) {
        const posts = postsFor(l);
        assert.equal(posts.length, 1, `${plan.lab} ${plan.scores.join('/')}: ${posts.length} score POSTs`);
        assert.equal(posts[0].status, 201);
        assert.equal(h.emulator.ags.grade(l.block, l.user.sub), plan.expected);
        assert.deepEqual((await rows(l)).map((r) => r.status).sort(), ['sent', 'superseded', 'superseded']);
      }
    });

    test('two workers due for a key rotation at once rotate it once', async () => {
      const a = await h.startWorker('keys-a', { jobs: false });
      const b = await h.startWorker('keys-b', { jobs: false });
      await h.runtime.ctx.db.query(`UPDATE lti_tool_keys SET created_at = created_at - interval '400 days'`);
      const before = await h.runtime.ctx.db.query<{ kid: string }>('SELECT kid FROM lti_tool_keys');
      const results = (await Promise.all([a.scheduler.runJob(LTI_HOUSEKEEPING_JOB), b.scheduler.runJob(LTI_HOUSEKEEPING_JOB)])) as HousekeepingStats[];
      assert.equal(results.filter((r) => r.rotatedTo).length, 1, `rotations: ${JSON.stringify(results)}`);
      const after = await h.runtime.ctx.db.query<{ kid: string }>('SELECT kid FROM lti_tool_keys');
      assert.equal(after.length, before.length + 1);
    });
  });
}
