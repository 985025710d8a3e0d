/**
 * The grade outbox's lease against a slow platform: a send that takes longer than the lease keeps it
 * (so a second sender does not post the grade again), and a sender whose lease went to another
 * abandons its send and writes nothing (every write after a send checks who holds the lease).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { Runtime } from '../../src/app/create-context.ts';
import { GradeOutbox, type OutboxSettings } from '../../src/lti/grade-outbox.ts';
import { systemClock } from '../../src/infra/clock.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { checkCompleted, LABS, launchLearner, startHarness, type Harness, type LaunchedLearner } from './harness.ts';
import { eventually } from '../support/eventually.ts';

const postgresUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`grade outbox leases on ${backend}`, { skip: backend === 'postgres' ? skipUnless(postgresUp, 'PostgreSQL at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let h: Harness;
    before(async () => {
      // No periodic jobs anywhere: only the senders each test makes send grades.
      h = await startHarness({ backend, jobs: false });
    });
    after(async () => {
      await h.close();
    });

    const postsFor = (l: LaunchedLearner) => h.emulator.ags.scorePosts.filter((p) => (p.body as { userId?: string })?.userId === l.user.sub);
    const rowOf = async (l: LaunchedLearner) =>
      (await h.runtime.ctx.db.query<{ lease_until: Date | null; lease_owner: string | null; status: string; attempts: number }>(
        'SELECT lease_until, lease_owner, status, attempts FROM lti_grade_outbox WHERE learner = $1',
        [l.session.learner],
      ))[0];

    async function queued(l: LaunchedLearner, lab: string, score: number): Promise<void> {
      checkCompleted(h.runtime, l, lab, score);
      await eventually(async () => ((await rowOf(l)) ? true : undefined), 10_000, 'the grade in the outbox');
    }

    /** A grade sender of its own on a worker's database, with a one-second lease. */
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
        settings: { leaseSeconds: 1, backoffBaseMs: 60_000, ...settings },
      });
    }

    /** Holds the platform's first score POST at `phase` until released; says when it arrived. */
    function holdFirstPost(phase: 'received' | 'answering') {
      let arrived!: () => void;
      let release!: () => void;
      const held = { arrived: new Promise<void>((r) => (arrived = r)), released: new Promise<void>((r) => (release = r)), release: () => release() };
      let seen = 0;
      h.emulator.ags.scoreGate = async (at) => {
        if (at !== phase || seen++ > 0) return;
        arrived();
        await held.released;
      };
      return held;
    }

    test('a send slower than its lease keeps the lease: a second sender does not post the grade again', async (t) => {
      t.after(() => (h.emulator.ags.scoreGate = undefined));
      const l = await launchLearner(h, 'networking');
      await queued(l, 'networking', 0.6);
      const a = sender(await h.startWorker('slow-a', { jobs: false }));
      const b = sender(await h.startWorker('slow-b', { jobs: false }));
      const held = holdFirstPost('received');
      const passA = a.drain();
      await held.arrived;
      // More than a whole lease passes while the platform sits on the POST: only renewals keep b out.
      const firstLease = (await rowOf(l))!.lease_until!;
      await sleep(Math.max(0, firstLease.getTime() - Date.now()) + 1200);
      const passB = await b.drain();
      held.release();
      const statsA = await passA;
      assert.equal(passB.sent, 0, `the second sender posted while the first was still sending: ${JSON.stringify(passB)}`);
      assert.equal(statsA.sent, 1, JSON.stringify(statsA));
      assert.equal(postsFor(l).length, 1, `${postsFor(l).length} score POSTs for one grade`);
      const row = (await rowOf(l))!;
      assert.deepEqual({ status: row.status, attempts: row.attempts, owner: row.lease_owner }, { status: 'sent', attempts: 1, owner: null });
    });

    test('a sender whose lease was taken over abandons its send and writes nothing', async (t) => {
      t.after(() => (h.emulator.ags.scoreGate = undefined));
      const l = await launchLearner(h, 'linux-basics');
      await queued(l, 'linux-basics', 0.8);
      const a = sender(await h.startWorker('stalled-a', { jobs: false }), { heartbeatMs: 100 });
      const held = holdFirstPost('answering');
      const passA = a.drain();
      await held.arrived;
      // As when a sender stalled past its lease and another claimed the key: the lease names someone else.
      await h.runtime.ctx.db.query(`UPDATE lti_grade_outbox SET lease_owner = 'another-sender' WHERE learner = $1`, [l.session.learner]);
      try {
        const statsA = await Promise.race([passA, sleep(30_000).then(() => 'still sending' as const)]);
        assert.notEqual(statsA, 'still sending', 'the sender went on waiting for a send it no longer holds the lease for');
        assert.deepEqual(statsA, { sent: 0, retried: 0, failed: 0, skipped: 0, lost: 1 });
      } finally {
        held.release();
      }
      const row = (await rowOf(l))!;
      assert.deepEqual({ status: row.status, attempts: row.attempts, owner: row.lease_owner }, { status: 'pending', attempts: 0, owner: 'another-sender' });
    });
  });
}
