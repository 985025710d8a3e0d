/**
 * Staff actions in a stack's history (issue 17): an instructor watching or taking over a learner's
 * terminal, playing a recording, extending a budget, are entries of the stack's history with who did
 * them, next to its transitions, without being transitions.
 *
 * - `stack_events.kind`: 'transition' (every entry so far, and every state change) or 'staff_action'.
 * - A staff action changes nothing: it must record the stack's current state as both from and to, so it
 *   can never stand for a state change, and a reader that follows states (billing, the roster's time
 *   used, enteredAt) may skip it by kind. A transition is judged by the table as before (migration 010's
 *   stacklab_legal_step, unchanged): same-state entries stay the lease take-overs of in-progress states.
 * - The trigger now also fires when `kind` is updated, so an entry cannot be turned from one kind into
 *   the other to slip a same-state step past the table.
 */
export const sql = `
ALTER TABLE stack_events ADD COLUMN kind text NOT NULL DEFAULT 'transition';
ALTER TABLE stack_events ADD CONSTRAINT stack_events_kind_check CHECK (kind IN ('transition', 'staff_action'));

CREATE OR REPLACE FUNCTION stacklab_refuse_illegal_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind = 'staff_action' THEN
    IF NEW.from_state IS NULL OR NEW.from_state <> NEW.to_state
       OR NEW.to_state IS DISTINCT FROM (SELECT state FROM stacks WHERE id = NEW.stack_id) THEN
      RAISE EXCEPTION 'illegal staff action in stack history % -> % (stack %)', COALESCE(NEW.from_state, 'nothing'), NEW.to_state, NEW.stack_id
        USING ERRCODE = 'check_violation', HINT = 'A staff action records the stack''s current state as both from and to: it changes no state.';
    END IF;
  ELSIF NOT stacklab_legal_step(NEW.from_state, NEW.to_state) THEN
    RAISE EXCEPTION 'illegal stack history entry % -> % (stack %)', COALESCE(NEW.from_state, 'nothing'), NEW.to_state, NEW.stack_id
      USING ERRCODE = 'check_violation', HINT = 'A history entry must be a move of the transition table in src/domain/states.ts.';
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER stack_events_legal ON stack_events;
CREATE TRIGGER stack_events_legal BEFORE INSERT OR UPDATE OF from_state, to_state, kind ON stack_events FOR EACH ROW
  EXECUTE FUNCTION stacklab_refuse_illegal_event();
`;
