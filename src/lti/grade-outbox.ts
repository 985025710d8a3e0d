/**
 * Grade passback that survives a platform being down: every check result that belongs to an LTI
 * launch is first written to `lti_grade_outbox` (in PostgreSQL, so a restart loses nothing), then a
 * sender loop posts it with retries and exponential backoff.
 *
 * Per (learner, context, lab) only one score is worth sending at a time: with grade policy 'latest'
 * the newest result, with 'best' the highest result not already at the platform. Older pending rows
 * are marked `superseded` when a newer one is sent, and 'best' results that would not raise the
 * platform's grade are `skipped`. Rows are claimed with a lease (FOR UPDATE SKIP LOCKED), so several
 * servers on one database never post the same row twice at once.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { Clock } from '../services/clock.ts';
import type { CheckCompletedEvent } from '../services/events.ts';
import { AgsError, type AgsClient } from './ags-client.ts';
import { AGS_SCOPE } from './claims.ts';
import type { LaunchStore } from './launches.ts';
import type { PlatformStore } from './platforms.ts';

export interface OutboxSettings {
  pollMs: number;
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
  settings?: Partial<OutboxSettings>;
}

export class GradeOutbox {
  private readonly settings: OutboxSettings;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;

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
    this.poke();
    return true;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a pass soon (a new row arrived). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** One pass: sends every due row; returns how many rows changed state. For tests and the loop. */
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

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain()
        .then(() => undefined)
        .catch((error: Error) => this.deps.logger.error({ err: error }, `lti grades: outbox pass failed: ${error.message}`))
        .finally(() => {
          this.running = undefined;
          const next = this.again ? 0 : this.settings.pollMs;
          this.again = false;
          this.schedule(next);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  private async claim(): Promise<OutboxRow | undefined> {
    const now = this.deps.clock.now();
    const [row] = await this.deps.db.query<OutboxRow>(
      `UPDATE lti_grade_outbox SET lease_until = $2 WHERE id = (
         SELECT id FROM lti_grade_outbox WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
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
