/**
 * Warm pools (docs/pools.md): stacks launched ahead for nobody, which a learner's first launch takes.
 *
 * - `pool`: the stack is an unclaimed pool stack (its learner is a reserved `pool:<id>`, so the
 *   uniqueness of (learner, context, lab) still holds for every learner). The claim clears it.
 * - `template_hash`: the hash of the lab's templates the stack was launched from (domain/pool.ts
 *   templateHash): the pool replaces stacks made from a template that has changed since.
 * - `personalize`: set by the claim to the state the pool stack was in (READY or SUSPENDED); the worker
 *   that takes the claim resumes it if it was suspended, pushes the learner's own key and password in
 *   (services/personalize.ts), then clears it.
 * - `claimed_at`: when it left the pool; the cost report bills the time before it to the pool.
 * - READY -> RESUME_PENDING: a running pool stack claimed; its worker personalizes it without asking the
 *   provider to resume a stack that runs. The legal pairs are written out again (as migration 010 did):
 *   an applied migration must not change with later code.
 */
export const sql = `
ALTER TABLE stacks ADD COLUMN pool boolean NOT NULL DEFAULT false;
ALTER TABLE stacks ADD COLUMN template_hash text;
ALTER TABLE stacks ADD COLUMN personalize text CHECK (personalize IN ('READY', 'SUSPENDED'));
ALTER TABLE stacks ADD COLUMN claimed_at timestamptz;
CREATE INDEX stacks_pool ON stacks (lab, run, state) WHERE pool;

CREATE OR REPLACE FUNCTION stacklab_legal_transition(from_state text, to_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT (from_state, to_state) IN (VALUES
    ('LAUNCH_PENDING', 'CREATING'), ('LAUNCH_PENDING', 'LAUNCH_FAILED'), ('LAUNCH_PENDING', 'DELETE_PENDING'),
    ('CREATING', 'READY'), ('CREATING', 'LAUNCH_FAILED'), ('CREATING', 'LAUNCH_PENDING'), ('CREATING', 'DELETE_PENDING'),
    ('READY', 'SUSPEND_PENDING'), ('READY', 'DELETE_PENDING'), ('READY', 'SUSPENDED'), ('READY', 'DELETED'),
    ('READY', 'RESUME_PENDING'),
    ('SUSPEND_PENDING', 'SUSPENDING'), ('SUSPEND_PENDING', 'READY'), ('SUSPEND_PENDING', 'DELETE_PENDING'),
    ('SUSPENDING', 'SUSPENDED'), ('SUSPENDING', 'SUSPEND_FAILED'),
    ('SUSPENDED', 'RESUME_PENDING'), ('SUSPENDED', 'DELETE_PENDING'), ('SUSPENDED', 'READY'), ('SUSPENDED', 'DELETED'),
    ('SUSPENDED', 'SHELVE_PENDING'),
    ('RESUME_PENDING', 'RESUMING'), ('RESUME_PENDING', 'DELETE_PENDING'),
    ('RESUMING', 'READY'), ('RESUMING', 'RESUME_FAILED'),
    ('DELETE_PENDING', 'DELETING'),
    ('DELETING', 'DELETED'), ('DELETING', 'DELETE_FAILED'),
    ('DELETED', 'LAUNCH_PENDING'),
    ('LAUNCH_FAILED', 'LAUNCH_PENDING'), ('LAUNCH_FAILED', 'DELETE_PENDING'),
    ('SUSPEND_FAILED', 'SUSPEND_PENDING'), ('SUSPEND_FAILED', 'RESUME_PENDING'), ('SUSPEND_FAILED', 'DELETE_PENDING'),
    ('RESUME_FAILED', 'RESUME_PENDING'), ('RESUME_FAILED', 'DELETE_PENDING'),
    ('DELETE_FAILED', 'DELETE_PENDING'),
    ('SHELVE_PENDING', 'SHELVING'), ('SHELVE_PENDING', 'UNSHELVE_PENDING'), ('SHELVE_PENDING', 'DELETE_PENDING'),
    ('SHELVING', 'SHELVED'), ('SHELVING', 'SHELVE_FAILED'),
    ('SHELVED', 'UNSHELVE_PENDING'), ('SHELVED', 'DELETE_PENDING'), ('SHELVED', 'DELETED'),
    ('UNSHELVE_PENDING', 'UNSHELVING'), ('UNSHELVE_PENDING', 'DELETE_PENDING'),
    ('UNSHELVING', 'READY'), ('UNSHELVING', 'UNSHELVE_FAILED'),
    ('SHELVE_FAILED', 'SHELVE_PENDING'), ('SHELVE_FAILED', 'UNSHELVE_PENDING'), ('SHELVE_FAILED', 'DELETE_PENDING'),
    ('UNSHELVE_FAILED', 'UNSHELVE_PENDING'), ('UNSHELVE_FAILED', 'DELETE_PENDING'))
$$;

`;
