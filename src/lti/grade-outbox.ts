/**
 * Grade passback that survives a platform being down: every check result that belongs to an LTI
 * launch is first written to `lti_grade_outbox` (in PostgreSQL, so a restart loses nothing), then a
 * job (src/jobs/lti-jobs.ts, run wherever workers run) sends it with retries and exponential backoff.
 * The HTTP side only enqueues.
 *
 * Per (learner, context, lab) only one score is worth sending at a time: with grade policy 'latest'
 * the newest result, with 'best' the highest result not already at the platform. Older pending rows
 * are marked `superseded` when a newer one is sent, and 'best' results that would not raise the
 * platform's grade are `skipped`. Because one send settles every pending row of its (learner,
 * context, lab), that key is the unit of work: a sender claims the key's oldest pending row under a
 * lease (FOR UPDATE SKIP LOCKED) and no other sender may claim a row of the key while it is pending,
 * so several workers on one database never post one grade twice.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { Clock } from '../infra/clock.ts';
import type { CheckCompletedEvent } from '../infra/events.ts';
import { AgsError, type AgsClient } from './ags-client.ts';
import { AGS_SCOPE } from './claims.ts';
import type { LaunchStore } from './launches.ts';
import type { PlatformStore } from './platforms.ts';

export interface OutboxSettings {
  /** Time between two passes of the grade job when nothing new was queued in its process. */
  pollMs: number;
  /** How long a claim holds a (learner, context, lab): longer than one send (two AGS calls of at most 10 s each). */
  leaseSeconds: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxAttempts: number;
}

export const DEFAULT_OUTBOX: OutboxSettings = { pollMs: 2000, leaseSeconds: 60, backoffBaseMs: 5000, backoffMaxMs: 3600_000, maxAttempts: 60 };

export type OutboxStatus = 'pending' | 'sent' | 'superseded' | 'skipped' | 'failed';

export interface OutboxRow {
  id: number;
  attempt_id: string;
  learner: string;
  context: string;
  lab: string;
  platform: string;
  lineitem_url: string;
  sub: string;
  score: number;
  policy: 'best' | 'latest';
  scored_at: Date;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  sent_score: number | null;
}

export interface OutboxDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  launches: LaunchStore;
  platforms: PlatformStore;
  ags: AgsClient;
  policyOf(lab: string): 'best' | 'latest';
  /** Told after a row is written, so a sender in this process can start without waiting for its next pass. */
  onQueued?(key: { learner: string; context: string; lab: string }): void;
  settings?: Partial<OutboxSettings>;
}

export class GradeOutbox {
  readonly settings: OutboxSettings;

  constructor(private readonly deps: OutboxDeps) {
    this.settings = { ...DEFAULT_OUTBOX, ...deps.settings };
  }

  /** Queues the result of a check when the learner came through LTI with a line item; returns whether it did. */
  async enqueue(event: CheckCompletedEvent): Promise<boolean> {
    const launch = await this.deps.launches.get(event.learner, event.context, event.lab);
    if (!launch?.lineitemUrl || !launch.agsScopes.includes(AGS_SCOPE.score)) return false;
    const now = this.deps.clock.now();
    const score = Math.min(1, Math.max(0, event.score));
    await this.deps.db.query(
      `INSERT INTO lti_grade_outbox (attempt_id, learner, context, lab, platform, lineitem_url, sub, score, policy, scored_at, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11) ON CONFLICT (attempt_id) DO NOTHING`,
      [event.attemptId, event.learner, event.context, event.lab, launch.platform, launch.lineitemUrl, launch.sub, score, this.deps.policyOf(event.lab), event.at, now],
    );
    this.deps.onQueued?.({ learner: event.learner, context: event.context, lab: event.lab });
    return true;
  }

  /** One pass: sends every due grade; returns what happened to each claimed one. The grade job calls it. */
  async drain(): Promise<{ sent: number; retried: number; failed: number; skipped: number }> {
    const stats = { sent: 0, retried: 0, failed: 0, skipped: 0 };
    for (;;) {
      const row = await this.claim();
      if (!row) return stats;
      stats[await this.process(row)] += 1;
    }
  }

  async list(filter: { learner?: string; status?: OutboxStatus } = {}): Promise<OutboxRow[]> {
    return this.deps.db.query<OutboxRow>(
      'SELECT * FROM lti_grade_outbox WHERE ($1::text IS NULL OR learner = $1) AND ($2::text IS NULL OR status = $2) ORDER BY id',
      [filter.learner ?? null, filter.status ?? null],
    );
  }

  /**
   * Leases the oldest pending row of one (learner, context, lab) whose rows are due and not leased. A
   * key with a pending row older than the candidate, or with any leased pending row, is left alone:
   * the sender holding that key will settle the candidate as well.
   */
  private async claim(): Promise<OutboxRow | undefined> {
    const now = this.deps.clock.now();
    const [row] = await this.deps.db.query<OutboxRow>(
      `UPDATE lti_grade_outbox SET lease_until = $2 WHERE id = (
         SELECT o.id FROM lti_grade_outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1)
           AND NOT EXISTS (
             SELECT 1 FROM lti_grade_outbox k
             WHERE k.learner = o.learner AND k.context = o.context AND k.lab = o.lab AND k.status = 'pending'
               AND (k.id < o.id OR k.lease_until >= $1))
         ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, new Date(now.getTime() + this.settings.leaseSeconds * 1000)],
    );
    return row;
  }

  private async process(claimed: OutboxRow): Promise<'sent' | 'retried' | 'failed' | 'skipped'> {
    const { db, clock } = this.deps;
    const pending = await db.query<OutboxRow>(
      `SELECT * FROM lti_grade_outbox WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' ORDER BY id`,
      [claimed.learner, claimed.context, claimed.lab],
    );
    const newest = pending[pending.length - 1] ?? claimed;
    const upTo = newest.id;
    const key = [claimed.learner, claimed.context, claimed.lab, upTo];
    let value = newest.score;
    if (newest.policy === 'best') {
      value = Math.max(...pending.map((r) => r.score), claimed.score);
      const [best] = await db.query<{ best: number | null }>(
        `SELECT max(sent_score) AS best FROM lti_grade_outbox WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'sent'`,
        key.slice(0, 3),
      );
      if (best?.best !== null && best?.best !== undefined && best.best >= value) {
        await db.query(`UPDATE lti_grade_outbox SET status = 'skipped', lease_until = NULL WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id <= $4`, key);
        return 'skipped';
      }
    }
    const platform = await this.deps.platforms.get(newest.platform);
    try {
      if (!platform) throw new AgsError(`platform ${newest.platform} is no longer registered`, false);
      await this.deps.ags.postScore(platform, newest.lineitem_url, {
        userId: newest.sub,
        scoreGiven: value,
        scoreMaximum: 1,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        timestamp: newest.scored_at.toISOString(),
      });
    } catch (error) {
      const attempts = newest.attempts + 1;
      const message = (error as Error).message;
      const retryable = !(error instanceof AgsError) || error.retryable;
      if (!retryable || attempts >= this.settings.maxAttempts) {
        await db.query(
          `UPDATE lti_grade_outbox SET status = 'failed', attempts = attempts + 1, last_error = $5, lease_until = NULL
           WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id <= $4`,
          [...key, message],
        );
        this.deps.logger.error({ learner: newest.learner, lab: newest.lab, attempts }, `lti grades: giving up on a grade: ${message}`);
        return 'failed';
      }
      const delay = Math.min(this.settings.backoffMaxMs, this.settings.backoffBaseMs * 2 ** (attempts - 1));
      await db.query(
        `UPDATE lti_grade_outbox SET attempts = attempts + 1, last_error = $5, next_attempt_at = $6, lease_until = NULL
         WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id <= $4`,
        [...key, message, new Date(clock.now().getTime() + delay)],
      );
      this.deps.logger.warn({ learner: newest.learner, lab: newest.lab, attempts, retryInMs: delay }, `lti grades: platform refused or unreachable, will retry: ${message}`);
      return 'retried';
    }
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE lti_grade_outbox SET status = 'sent', sent_score = $2, sent_at = $3, attempts = attempts + 1, last_error = NULL, lease_until = NULL WHERE id = $1`, [
        newest.id,
        value,
        clock.now(),
      ]);
      await tx.query(
        `UPDATE lti_grade_outbox SET status = 'superseded', lease_until = NULL WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id < $4`,
        key,
      );
    });
    return 'sent';
  }
}
