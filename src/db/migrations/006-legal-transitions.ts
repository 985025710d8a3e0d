/**
 * The database refuses what the transition table (src/domain/states.ts) does not allow, whoever writes:
 * a stack's state may only change along the table, and its history may only record a step the table
 * allows (its creation, a transition, or a worker taking over an in-progress operation in the same state).
 * The store refuses the same pairs before they get here; this catches any other writer (a tool, a
 * hand-written UPDATE, a bug in a later statement).
 *
 * The pairs are written out, not generated: an applied migration must not change with later code.
 * test/store/legal-transitions.test.ts fails when they differ from states.ts; a changed table then needs
 * a new migration that replaces stacklab_legal_transition (CREATE OR REPLACE FUNCTION).
 */
export const sql = `
CREATE FUNCTION stacklab_legal_transition(from_state text, to_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT (from_state, to_state) IN (VALUES
    ('LAUNCH_PENDING', 'CREATING'), ('LAUNCH_PENDING', 'LAUNCH_FAILED'), ('LAUNCH_PENDING', 'DELETE_PENDING'),
    ('CREATING', 'READY'), ('CREATING', 'LAUNCH_FAILED'), ('CREATING', 'LAUNCH_PENDING'), ('CREATING', 'DELETE_PENDING'),
    ('READY', 'SUSPEND_PENDING'), ('READY', 'DELETE_PENDING'), ('READY', 'SUSPENDED'), ('READY', 'DELETED'),
    ('SUSPEND_PENDING', 'SUSPENDING'), ('SUSPEND_PENDING', 'READY'), ('SUSPEND_PENDING', 'DELETE_PENDING'),
    ('SUSPENDING', 'SUSPENDED'), ('SUSPENDING', 'SUSPEND_FAILED'),
    ('SUSPENDED', 'RESUME_PENDING'), ('SUSPENDED', 'DELETE_PENDING'), ('SUSPENDED', 'READY'), ('SUSPENDED', 'DELETED'),
    ('RESUME_PENDING', 'RESUMING'), ('RESUME_PENDING', 'DELETE_PENDING'),
    ('RESUMING', 'READY'), ('RESUMING', 'RESUME_FAILED'),
    ('DELETE_PENDING', 'DELETING'),
    ('DELETING', 'DELETED'), ('DELETING', 'DELETE_FAILED'),
    ('DELETED', 'LAUNCH_PENDING'),
    ('LAUNCH_FAILED', 'LAUNCH_PENDING'), ('LAUNCH_FAILED', 'DELETE_PENDING'),
    ('SUSPEND_FAILED', 'SUSPEND_PENDING'), ('SUSPEND_FAILED', 'RESUME_PENDING'), ('SUSPEND_FAILED', 'DELETE_PENDING'),
    ('RESUME_FAILED', 'RESUME_PENDING'), ('RESUME_FAILED', 'DELETE_PENDING'),
    ('DELETE_FAILED', 'DELETE_PENDING'))
$$;

CREATE FUNCTION stacklab_legal_step(from_state text, to_state text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(CASE
    WHEN from_state IS NULL THEN to_state = 'LAUNCH_PENDING'
    WHEN from_state = to_state THEN to_state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING')
    ELSE stacklab_legal_transition(from_state, to_state)
  END, false)
$$;

CREATE FUNCTION stacklab_refuse_illegal_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF stacklab_legal_transition(OLD.state, NEW.state) IS NOT TRUE THEN
    RAISE EXCEPTION 'illegal stack transition % -> % (stack %)', OLD.state, NEW.state, OLD.id
      USING ERRCODE = 'check_violation', HINT = 'Only the moves of the transition table in src/domain/states.ts are allowed.';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER stacks_legal_transition BEFORE UPDATE OF state ON stacks FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION stacklab_refuse_illegal_transition();

CREATE FUNCTION stacklab_refuse_illegal_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT stacklab_legal_step(NEW.from_state, NEW.to_state) THEN
    RAISE EXCEPTION 'illegal stack history entry % -> % (stack %)', COALESCE(NEW.from_state, 'nothing'), NEW.to_state, NEW.stack_id
      USING ERRCODE = 'check_violation', HINT = 'A history entry must be a move of the transition table in src/domain/states.ts.';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER stack_events_legal BEFORE INSERT OR UPDATE OF from_state, to_state ON stack_events FOR EACH ROW
  EXECUTE FUNCTION stacklab_refuse_illegal_event();
`;
