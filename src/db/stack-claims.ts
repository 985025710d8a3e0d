/**
 * The worker's claim statement (StackStore.claim, StackStore.claimPending): a claim, its lease and its
 * history entry in one statement, whichever rows it picks. Kept apart from stack-store.ts so that both
 * claims share one text of everything but the pick.
 */
import { CLAIM_TARGET } from '../domain/states.ts';
import { stackColumns } from './stack-rows.ts';

/** What every claim says: who claims, when, until when, and how long each kind of operation may take. */
export interface ClaimInput {
  worker: string;
  now: Date;
  leaseUntil: Date;
  suspendTaskTimeout: number;
  deleteTaskTimeout: number;
  /** Seconds a shelve or unshelve may take (default: the suspend's): an unshelve boots each server again. */
  shelveTaskTimeout?: number;
}

const CLAIM_CASES = Object.entries(CLAIM_TARGET)
  .map(([from, to]) => `WHEN '${from}' THEN '${to}'`)
  .join(' ');

/**
 * A claim, its lease and its history entry in one statement, for the rows `pick` selects (a WHERE clause,
 * with its ORDER BY and LIMIT when it has them). Parameters: $1 pending states, $2 in-progress states,
 * $3 now, $4 worker, $5 the pick's own, $6-$9 operation timeouts and lease, $10-$15 the entries' reasons.
 */
export function claimSql(pick: string): string {
  return `WITH c AS (
         SELECT id, state, state_changed_at AS requested_at,
                -- Read in this statement, not one of its own: a class's come-backs are many resumes at once.
                CASE WHEN state IN ('RESUME_PENDING', 'RESUMING') THEN
                  (SELECT e.from_state FROM stack_events e WHERE e.stack_id = stacks.id AND e.kind = 'transition' AND e.to_state = 'RESUME_PENDING' ORDER BY e.id DESC LIMIT 1)
                END AS resume_requested_from
         FROM stacks
         WHERE ${pick} FOR UPDATE SKIP LOCKED),
       moved AS (
         UPDATE stacks s SET
           state = CASE c.state ${CLAIM_CASES} ELSE c.state END,
           state_changed_at = CASE WHEN c.state = ANY($1::text[]) THEN $3 ELSE s.state_changed_at END,
           op_deadline = CASE
             WHEN c.state = ANY($2::text[]) THEN s.op_deadline
             WHEN c.state = 'LAUNCH_PENDING' THEN $3 + make_interval(secs => s.launch_timeout)
             WHEN c.state = 'DELETE_PENDING' THEN $3 + make_interval(secs => $7)
             WHEN c.state IN ('SHELVE_PENDING', 'UNSHELVE_PENDING') THEN $3 + make_interval(secs => $9)
             ELSE $3 + make_interval(secs => $6) END,
           lease_owner = $4, lease_until = $8, updated_at = $3
         FROM c WHERE s.id = c.id RETURNING ${stackColumns('s')}, c.state AS prev_state, c.requested_at, c.resume_requested_from),
       ev AS (INSERT INTO stack_events (stack_id, from_state, to_state, reason, reason_key, reason_values, actor, at, activity_at)
              SELECT id, prev_state, state,
                     CASE WHEN prev_state = state THEN $10 ELSE $13 END,
                     CASE WHEN prev_state = state THEN $11 ELSE $14 END,
                     (CASE WHEN prev_state = state THEN $12 ELSE $15 END)::jsonb,
                     'worker:' || $4, $3, last_activity_at FROM moved)
       SELECT * FROM moved`;
}
