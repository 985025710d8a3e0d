/**
 * The shelved tier of dormancy (suspend, then shelve, then delete): seven new states, the transitions
 * that reach them, and the columns the shelving sweep reads.
 *
 * - The closed set of states (the CHECK of migration 001) and the legal pairs (migration 006) are
 *   replaced with lists written out here: an applied migration must not change with later code.
 *   test/store/legal-transitions.test.ts fails when they differ from src/domain/states.ts.
 * - `shelve_after`: seconds without activity after which a suspended stack is shelved, fixed when its
 *   suspend completes (the lab's setting, else its provider's default; 0 = never, e.g. the local
 *   runtime, which cannot shelve). `shelve_at`: its review time, set with it, indexed for the sweep like
 *   suspend_at (domain/policy.ts deadline).
 * - The partial indexes over pending, in-progress and deadline states are rebuilt to cover the new ones.
 * - `stack_events_wakes`: the recent wake-ups from shelved, whose median duration is the estimate the
 *   learner is shown (StackStore.recentWakeSeconds), found without scanning the history.
 */
export const sql = `
ALTER TABLE stacks DROP CONSTRAINT stacks_state_check;
ALTER TABLE stacks ADD CONSTRAINT stacks_state_check CHECK (state IN (
  'LAUNCH_PENDING', 'CREATING', 'READY', 'SUSPEND_PENDING', 'SUSPENDING', 'SUSPENDED', 'RESUME_PENDING', 'RESUMING',
  'DELETE_PENDING', 'DELETING', 'DELETED', 'LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED',
  'SHELVE_PENDING', 'SHELVING', 'SHELVED', 'UNSHELVE_PENDING', 'UNSHELVING', 'SHELVE_FAILED', 'UNSHELVE_FAILED'));

ALTER TABLE stacks ADD COLUMN shelve_after integer NOT NULL DEFAULT 0;
ALTER TABLE stacks ADD COLUMN shelve_at timestamptz;
CREATE INDEX stacks_shelve ON stacks (shelve_at) WHERE state = 'SUSPENDED';
CREATE INDEX stack_events_wakes ON stack_events (id) WHERE from_state = 'UNSHELVING' AND to_state = 'READY';

DROP INDEX stacks_pending;
CREATE INDEX stacks_pending ON stacks (state_changed_at)
  WHERE state IN ('LAUNCH_PENDING', 'SUSPEND_PENDING', 'RESUME_PENDING', 'DELETE_PENDING', 'SHELVE_PENDING', 'UNSHELVE_PENDING');
DROP INDEX stacks_in_progress;
CREATE INDEX stacks_in_progress ON stacks (lease_until)
  WHERE state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING', 'SHELVING', 'UNSHELVING');
DROP INDEX stacks_deadline;
CREATE INDEX stacks_deadline ON stacks (op_deadline)
  WHERE state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING', 'SHELVING', 'UNSHELVING');

CREATE OR REPLACE FUNCTION stacklab_legal_transition(from_state text, to_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT (from_state, to_state) IN (VALUES
    ('LAUNCH_PENDING', 'CREATING'), ('LAUNCH_PENDING', 'LAUNCH_FAILED'), ('LAUNCH_PENDING', 'DELETE_PENDING'),
    ('CREATING', 'READY'), ('CREATING', 'LAUNCH_FAILED'), ('CREATING', 'LAUNCH_PENDING'), ('CREATING', 'DELETE_PENDING'),
    ('READY', 'SUSPEND_PENDING'), ('READY', 'DELETE_PENDING'), ('READY', 'SUSPENDED'), ('READY', 'DELETED'),
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

CREATE OR REPLACE FUNCTION stacklab_legal_step(from_state text, to_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(CASE
    WHEN from_state IS NULL THEN to_state = 'LAUNCH_PENDING'
    WHEN from_state = to_state THEN to_state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING', 'SHELVING', 'UNSHELVING')
    ELSE stacklab_legal_transition(from_state, to_state)
  END, false)
$$;
`;
