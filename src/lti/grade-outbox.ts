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
 * so several workers on one database never post one grade twice. The lease is renewed while a send is
 * in flight (a slow platform does not hand the key to a second sender), and every write after a send
 * checks that its sender still holds the lease: one that stalled past it and was taken over writes
 * nothing and aborts its send.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database, Queryable } from '../db/database.ts';
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
  /** How often a send in flight renews its lease (default: a third of the lease). */
  heartbeatMs?: number;
}

export const DEFAULT_OUTBOX: OutboxSettings = { pollMs: 2000, leaseSeconds: 60, backoffBaseMs: 5000, backoffMaxMs: 3600_000, maxAttempts: 60 };

export type OutboxStatus = 'pending' | 'sent' | 'superseded' | 'skipped' | 'failed';

/** What one claimed grade came to; `lost`: the lease went to another sender mid-send, which settles it. */
export type Outcome = 'sent' | 'retried' | 'failed' | 'skipped' | 'lost';

/** Clears a row's lease along with a write that settles or reschedules it. */
const RELEASE = 'lease_until = NULL, lease_owner = NULL';

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

/**
 * A row as its sender claimed it: `lease_owner` is this claim's token; `taken_over`: the row still had
 * an expired lease, so its last sender died (or stalled) holding it, maybe after its POST reached the platform.
 */
type Claimed = OutboxRow & { lease_owner: string; taken_over: boolean };

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
  /** Names this sender in the leases it takes (for whoever looks at the table); each claim adds its own token. */
  private readonly senderId = `${hostname()}:${process.pid}`;

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
  async drain(): Promise<Record<Outcome, number>> {
    const stats: Record<Outcome, number> = { sent: 0, retried: 0, failed: 0, skipped: 0, lost: 0 };
    for (;;) {
      const row = await this.claim();
      if (!row) return stats;
      stats[await this.process(row)] += 1;
    }
  }

  /** Grades not yet at their platform: how many, and how long the oldest has waited (for the metrics). */
  async backlog(): Promise<{ pending: number; oldestSeconds: number }> {
    const [row] = await this.deps.db.query<{ pending: number | string; oldest: Date | string | null }>(
      `SELECT count(*) AS pending, min(created_at) AS oldest FROM lti_grade_outbox WHERE status = 'pending'`,
    );
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : null;
    return { pending: Number(row?.pending ?? 0), oldestSeconds: oldest === null ? 0 : Math.max(0, (this.deps.clock.now().getTime() - oldest) / 1000) };
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
   * the sender holding that key will settle the candidate as well. The lease names its holder (a
   * token of this one claim), which every later write checks.
   */
  private async claim(): Promise<Claimed | undefined> {
    const now = this.deps.clock.now();
    // Every write that settles or reschedules a row clears its lease, so a pending row that still has
    // one was left by a sender that never finished: `taken_over`.
    const [row] = await this.deps.db.query<Claimed>(
      `WITH candidate AS (
         SELECT o.id, o.lease_until IS NOT NULL AS taken_over FROM lti_grade_outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.lease_until IS NULL OR o.lease_until < $1)
           AND NOT EXISTS (
             SELECT 1 FROM lti_grade_outbox k
             WHERE k.learner = o.learner AND k.context = o.context AND k.lab = o.lab AND k.status = 'pending'
               AND (k.id < o.id OR k.lease_until >= $1))
         ORDER BY o.id LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE lti_grade_outbox t SET lease_until = $2, lease_owner = $3 FROM candidate WHERE t.id = candidate.id
       RETURNING t.*, candidate.taken_over`,
      [now, this.leaseEnd(), `${this.senderId}:${randomUUID()}`],
    );
    return row;
  }

  private leaseEnd(): Date {
    return new Date(this.deps.clock.now().getTime() + this.settings.leaseSeconds * 1000);
  }

  /** Extends the lease while its holder still has it; false once it was lost (taken over, or settled by another). */
  private async renew(lease: Claimed): Promise<boolean> {
    const rows = await this.deps.db.query(
      `UPDATE lti_grade_outbox SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'pending' RETURNING id`,
      [lease.id, lease.lease_owner, this.leaseEnd()],
    );
    return rows.length === 1;
  }

  /**
   * Runs `write` only while `lease` is still held, as graphile-worker guards its job updates by who
   * holds the lock: the claimed row is locked first, in the same transaction, so no other sender can
   * claim the key between the check and the write. Returns false (nothing written) once the lease is lost.
   */
  private whileHeld(lease: Claimed, write: (tx: Queryable) => Promise<void>): Promise<boolean> {
    return this.deps.db.transaction(async (tx) => {
      const held = await tx.query(`SELECT id FROM lti_grade_outbox WHERE id = $1 AND lease_owner = $2 AND status = 'pending' FOR UPDATE`, [lease.id, lease.lease_owner]);
      if (held.length === 0) return false;
      await write(tx);
      return true;
    });
  }

  /**
   * Keeps the lease alive while a send is in flight, so a slow platform does not let another sender
   * claim the key and post the grade again; when a renewal finds the lease lost (this process stalled
   * past it and another sender took over), `onLost` aborts the send.
   */
  private heartbeat(lease: Claimed, onLost: () => void): () => void {
    const every = this.settings.heartbeatMs ?? (this.settings.leaseSeconds * 1000) / 3;
    const timer = setInterval(() => {
      this.renew(lease).then(
        (held) => {
          if (!held) onLost();
        },
        (error: unknown) => this.deps.logger.warn({ err: error }, 'lti grades: could not renew a lease; retrying at the next beat'),
      );
    }, every);
    return () => clearInterval(timer);
  }

  private async process(claimed: Claimed): Promise<Outcome> {
    const { db, clock } = this.deps;
    const pending = await db.query<OutboxRow>(
      `SELECT * FROM lti_grade_outbox WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' ORDER BY id`,
      [claimed.learner, claimed.context, claimed.lab],
    );
    const newest = pending[pending.length - 1] ?? claimed;
    const upTo = newest.id;
    const key = [claimed.learner, claimed.context, claimed.lab, upTo];
    const lost = (): Outcome => {
      this.deps.logger.warn({ learner: claimed.learner, lab: claimed.lab }, 'lti grades: lost the lease during a send; the sender that took over settles this grade');
      return 'lost';
    };
    let value = newest.score;
    if (newest.policy === 'best') {
      value = Math.max(...pending.map((r) => r.score), claimed.score);
      const [best] = await db.query<{ best: number | null }>(
        `SELECT max(sent_score) AS best FROM lti_grade_outbox WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'sent'`,
        key.slice(0, 3),
      );
      if (best?.best !== null && best?.best !== undefined && best.best >= value) {
        const wrote = await this.whileHeld(claimed, (tx) =>
          tx.query(`UPDATE lti_grade_outbox SET status = 'skipped', ${RELEASE} WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id <= $4`, key).then(() => undefined),
        );
        return wrote ? 'skipped' : lost();
      }
    }
    const platform = await this.deps.platforms.get(newest.platform);
    const abandon = new AbortController();
    const stopBeating = this.heartbeat(claimed, () => abandon.abort(new Error('the lease on this grade was lost')));
    try {
      if (!platform) throw new AgsError(`platform ${newest.platform} is no longer registered`, false);
      // Renewed just before the send too: a pass may have spent part of the lease on earlier keys.
      if (!(await this.renew(claimed))) {
        stopBeating();
        return lost();
      }
      await this.deps.ags.postScore(
        platform,
        newest.lineitem_url,
        {
          userId: newest.sub,
          scoreGiven: value,
          scoreMaximum: 1,
          activityProgress: 'Completed',
          gradingProgress: 'FullyGraded',
          timestamp: newest.scored_at.toISOString(),
        },
        abandon.signal,
      );
    } catch (error) {
      stopBeating();
      if (abandon.signal.aborted) return lost();
      if (alreadyRecorded(error, claimed, newest)) {
        this.deps.logger.warn({ learner: newest.learner, lab: newest.lab }, 'lti grades: the platform already holds this score (an earlier send reached it before its sender stopped); recorded as sent');
        return this.settleSent(claimed, newest, value, key);
      }
      const attempts = newest.attempts + 1;
      const message = (error as Error).message;
      const retryable = !(error instanceof AgsError) || error.retryable;
      if (!retryable || attempts >= this.settings.maxAttempts) {
        const wrote = await this.whileHeld(claimed, (tx) =>
          tx
            .query(
              `UPDATE lti_grade_outbox SET status = 'failed', attempts = attempts + 1, last_error = $5, ${RELEASE}
               WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id <= $4`,
              [...key, message],
            )
            .then(() => undefined),
        );
        if (!wrote) return lost();
        this.deps.logger.error({ learner: newest.learner, lab: newest.lab, attempts }, `lti grades: giving up on a grade: ${message}`);
        return 'failed';
      }
      const delay = Math.min(this.settings.backoffMaxMs, this.settings.backoffBaseMs * 2 ** (attempts - 1));
      const wrote = await this.whileHeld(claimed, (tx) =>
        tx
          .query(
            `UPDATE lti_grade_outbox SET attempts = attempts + 1, last_error = $5, next_attempt_at = $6, ${RELEASE}
             WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id <= $4`,
            [...key, message, new Date(clock.now().getTime() + delay)],
          )
          .then(() => undefined),
      );
      if (!wrote) return lost();
      this.deps.logger.warn({ learner: newest.learner, lab: newest.lab, attempts, retryInMs: delay }, `lti grades: platform refused or unreachable, will retry: ${message}`);
      return 'retried';
    }
    stopBeating();
    return this.settleSent(claimed, newest, value, key);
  }

  /** Marks `newest` sent with `value` and the key's older pending rows superseded, while the lease holds. */
  private async settleSent(claimed: Claimed, newest: OutboxRow, value: number, key: unknown[]): Promise<Outcome> {
    const wrote = await this.whileHeld(claimed, async (tx) => {
      await tx.query(`UPDATE lti_grade_outbox SET status = 'sent', sent_score = $2, sent_at = $3, attempts = attempts + 1, last_error = NULL, ${RELEASE} WHERE id = $1`, [
        newest.id,
        value,
        this.deps.clock.now(),
      ]);
      await tx.query(`UPDATE lti_grade_outbox SET status = 'superseded', ${RELEASE} WHERE learner = $1 AND context = $2 AND lab = $3 AND status = 'pending' AND id < $4`, key);
    });
    if (!wrote) this.deps.logger.warn({ learner: claimed.learner, lab: claimed.lab }, 'lti grades: lost the lease during a send; the sender that took over settles this grade');
    return wrote ? 'sent' : 'lost';
  }
}

/**
 * Whether a refusal means the platform already holds this very score. AGS 2.0 §3.4.9 forbids a tool
 * to send two scores of one (line item, user) with one timestamp, and Open edX refuses the second with
 * 400 "Score already exists for the provided timestamp"; but a send whose sender was killed after the
 * platform stored the score, before the store said so, must be sent again with the same timestamp (no
 * commit spans both). So when an earlier send of this row may have arrived (its sender was taken over,
 * or an earlier attempt ended in an error) and the platform refuses the timestamp, the score is there.
 */
function alreadyRecorded(error: unknown, claimed: Claimed, newest: OutboxRow): boolean {
  if (!(error instanceof AgsError) || (error.status !== 400 && error.status !== 409)) return false;
  const mayHaveArrived = claimed.taken_over || newest.attempts > 0;
  return mayHaveArrived && /timestamp/i.test(error.message);
}
