/**
 * What one learner holds and how often they launched, read and written under a per-learner lock, so
 * that two launches of the same learner at the same moment (two tabs, a script, two server processes)
 * are counted one after the other and cannot both take the last place. Use it inside one transaction
 * (`Database.transaction`): the lock is held until the transaction ends.
 */
import type { Queryable } from './database.ts';

/** The SQL form of domain/learner-limits.ts `holdsLearnerSlot`. */
const HOLDS_SLOT = `state <> 'DELETED' AND (state NOT IN ('DELETE_PENDING', 'DELETING', 'DELETE_FAILED') OR relaunch)`;

/**
 * The first key of the two-key advisory locks taken per learner; the second is a hash of the learner
 * id (two learners sharing a hash only wait for each other). Migrations take the one-key form, which
 * PostgreSQL keeps apart from this one.
 */
const LEARNER_LOCK_SPACE = 7412002;

/** Launch rows older than the window removed per new launch, so the table stays about one window long. */
const PRUNE_BATCH = 100;

/** A stack that counts against the learner's limit. */
export interface HeldStack {
  id: string;
  lab: string;
  context: string;
}

export class LearnerUsage {
  constructor(private readonly tx: Queryable) {}

  /** Waits for the learner's lock and holds it until the transaction ends. */
  async lock(learner: string): Promise<void> {
    await this.tx.query(`SELECT pg_advisory_xact_lock(${LEARNER_LOCK_SPACE}, hashtext($1))`, [learner]);
  }

  /** The learner's stacks that count against `max_stacks_per_learner`, least recently used first. */
  async stacksHeld(learner: string): Promise<HeldStack[]> {
    return this.tx.query<HeldStack>(`SELECT id, lab, context FROM stacks WHERE learner = $1 AND ${HOLDS_SLOT} ORDER BY last_activity_at, id`, [learner]);
  }

  /** When the learner's launches after `since` were made, newest first, at most `limit` of them. */
  async launchesSince(learner: string, since: Date, limit: number): Promise<Date[]> {
    const rows = await this.tx.query<{ at: Date }>('SELECT at FROM learner_launches WHERE learner = $1 AND at > $2 ORDER BY at DESC LIMIT $3', [learner, since, limit]);
    return rows.map((row) => row.at);
  }

  /**
   * Records a launch and removes a batch of rows from before `pruneBefore` (anybody's; rows another
   * transaction is removing are skipped, so launches never wait for each other here).
   */
  async recordLaunch(learner: string, stackId: string, at: Date, pruneBefore: Date): Promise<void> {
    await this.tx.query(
      `WITH old AS (DELETE FROM learner_launches WHERE id IN (
         SELECT id FROM learner_launches WHERE at <= $4 ORDER BY at LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED))
       INSERT INTO learner_launches (learner, stack_id, at) VALUES ($1, $2, $3)`,
      [learner, stackId, at, pruneBefore],
    );
  }
}
