/**
 * Grades across crashes. What the crash campaign (chaos/crash.ts, RELIABILITY.md) found, each made to
 * happen on purpose here: a worker that dies after the platform stored a score and before the store
 * said sent leaves a resend with the same timestamp, which Open edX refuses (AGS 2.0 §3.4.9); and a
 * token request while stacklab's own server (the key set the platform checks) is down is refused with
 * invalid_client. Neither may lose the grade. Then a short run of the campaign itself on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Runtime } from '../../src/app/create-context.ts';
import { GradeOutbox, type OutboxSettings } from '../../src/lti/grade-outbox.ts';
import { systemClock } from '../../src/infra/clock.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { eventually } from '../support/eventually.ts';
import { crashCampaign } from '../support/crash-campaign.ts';
import { checkCompleted, LABS, launchLearner, startHarness, type Harness, type LaunchedLearner } from './harness.ts';

const postgresUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`grades across a crash on ${backend}`, { skip: backend === 'postgres' ? skipUnless(postgresUp, 'PostgreSQL at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ backend, jobs: false });
    });
    after(async () => {
      await h.close();
    });

    const postsFor = (l: LaunchedLearner) => h.emulator.ags.scorePosts.filter((p) => (p.body as { userId?: string })?.userId === l.user.sub);
    const rowOf = async (l: LaunchedLearner) =>
      (await h.runtime.ctx.db.query<{ lease_until: Date | null; status: string; attempts: number; last_error: string | null }>(
        'SELECT lease_until, status, attempts, last_error FROM lti_grade_outbox WHERE learner = $1',
        [l.session.learner],
      ))[0];

    function sender(worker: Runtime, settings: Partial<OutboxSettings> = {}): GradeOutbox {
      const lti = worker.ctx.lti;
      return new GradeOutbox({
        db: worker.ctx.db,
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        launches: lti.launches,
        platforms: lti.platforms,
        ags: lti.ags,
        policyOf: (lab) => LABS.find((l) => l.id === lab)!.gradePolicy,
        settings: { leaseSeconds: 1, backoffBaseMs: 50, backoffMaxMs: 50, ...settings },
      });
    }

    test('a sender dead after the platform stored the score: the resend is refused for its timestamp, and the grade is sent, once', async (t) => {
      const l = await launchLearner(h, 'networking');
      checkCompleted(h.runtime, l, 'networking', 0.7);
      await eventually(async () => ((await rowOf(l)) ? true : undefined), 10_000, 'the grade in the outbox');
      // The first sender never renews its lease (as if SIGKILLed), and the platform stores its POST
      // but does not answer until the next sender has settled the grade.
      const dead = sender(await h.startWorker('dead', { jobs: false }), { heartbeatMs: 600_000 });
      const next = sender(await h.startWorker('next', { jobs: false }));
      let stored!: () => void;
      let answer!: () => void;
      const storedOnce = new Promise<void>((r) => (stored = r));
      const answered = new Promise<void>((r) => (answer = r));
      let posts = 0;
      h.emulator.ags.scoreGate = async (phase) => {
        if (phase !== 'answering' || posts++ > 0) return;
        stored();
        await answered;
      };
      t.after(() => {
        answer();
        h.emulator.ags.scoreGate = undefined;
      });
      const deadPass = dead.drain();
      await storedOnce;
      await eventually(async () => ((await rowOf(l))!.lease_until!.getTime() < Date.now() ? true : undefined), 10_000, 'the dead sender\'s lease to run out');
      const stats = await next.drain();
      answer();
      assert.deepEqual(await deadPass, { sent: 0, retried: 0, failed: 0, skipped: 0, lost: 1 }, 'the first sender, answered at last, must write nothing');
      assert.equal(stats.sent, 1, `the resend after the crash: ${JSON.stringify(stats)}`);
      assert.deepEqual(
        postsFor(l).map((p) => p.status).sort(),
        [201, 400],
        'one POST stored, one resend (same timestamp) refused by the platform',
      );
      const [first, again] = postsFor(l).map((p) => p.body as { scoreGiven: number; timestamp: string });
      assert.deepEqual(again, first, 'the resend is the same score with the same timestamp');
      assert.equal(h.emulator.ags.grade(l.block, l.user.sub), 0.7);
      const row = (await rowOf(l))!;
      assert.deepEqual({ status: row.status, error: row.last_error }, { status: 'sent', error: null });
    });

    test('the platform refusing the token while it cannot reach the tool\'s key set: retried, then sent', async (t) => {
      const l = await launchLearner(h, 'linux-basics');
      checkCompleted(h.runtime, l, 'linux-basics', 0.5);
      await eventually(async () => ((await rowOf(l)) ? true : undefined), 10_000, 'the grade in the outbox');
      // As while stacklab's server restarts: the key set the platform fetches does not answer.
      const tool = h.emulator.tool!;
      h.emulator.registerTool({ ...tool, keysetUrl: 'http://127.0.0.1:9/.well-known/jwks.json' });
      t.after(() => h.emulator.registerTool(tool));
      const s = sender(await h.startWorker('token', { jobs: false }));
      assert.deepEqual(await s.drain(), { sent: 0, retried: 1, failed: 0, skipped: 0, lost: 0 });
      assert.match((await rowOf(l))!.last_error ?? '', /invalid_client/);
      h.emulator.registerTool(tool);
      const sent = await eventually(async () => ((await s.drain()).sent === 1 ? true : undefined), 10_000, 'the grade sent once the key set answers');
      assert.equal(sent, true);
      assert.equal(h.emulator.ags.grade(l.block, l.user.sub), 0.5);
      assert.equal(postsFor(l).length, 1);
    });
  });
}

describe('the crash campaign, short, on PostgreSQL with grades', { skip: skipUnless(postgresUp, 'PostgreSQL at 127.0.0.1:5432') }, () => {
  test('SIGKILLs across launches, suspends, resumes, resets, deletes and grade sends: nothing orphaned, stuck, lost or posted twice', async () => {
    const { code, out } = await crashCampaign(['--transitions', '25', '--min-kills', '3', '--minutes', '1.5', '--kill-gap', '2-6', '--seed', '7', '--stacks', '3']);
    assert.equal(code, 0, out);
    assert.match(out, /no violations/);
    const transitions = Number(/transitions: (\d+)/.exec(out)?.[1]);
    const kills = Number(/kills: (\d+) SIGKILLs/.exec(out)?.[1]);
    const produced = Number(/grades: (\d+) produced/.exec(out)?.[1]);
    assert.ok(transitions >= 10, `${transitions} transitions:\n${out}`);
    assert.ok(kills >= 3, `${kills} kills:\n${out}`);
    assert.ok(produced >= 1, `no grade produced:\n${out}`);
  });
});
