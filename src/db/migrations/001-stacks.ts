import { STATES } from '../../domain/states.ts';

const states = STATES.map((s) => `'${s}'`).join(', ');

/** Stacks, their append-only history, and the lease columns workers claim work with. */
export const sql = `
CREATE TABLE stacks (
  id                  text PRIMARY KEY,
  learner             text NOT NULL,
  context             text NOT NULL,
  lab                 text NOT NULL,
  run                 text NOT NULL DEFAULT '',
  state               text NOT NULL CHECK (state IN (${states})),
  provider            text,
  provider_stack_id   text,
  provider_stack_name text NOT NULL,
  tried_providers     text[] NOT NULL DEFAULT '{}',
  error               text,
  error_code          text,
  attempts            integer NOT NULL DEFAULT 0,
  public_ip           text,
  outputs             jsonb NOT NULL DEFAULT '{}',
  secrets             text,
  suspend_timeout     integer NOT NULL,
  delete_age          integer NOT NULL,
  launch_timeout      integer NOT NULL,
  op_deadline         timestamptz,
  last_activity_at    timestamptz NOT NULL,
  suspend_at          timestamptz,
  suspend_by          timestamptz,
  delete_by           timestamptz,
  relaunch            boolean NOT NULL DEFAULT false,
  state_changed_at    timestamptz NOT NULL,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  lease_owner         text,
  lease_until         timestamptz,
  UNIQUE (learner, context, lab)
);
CREATE INDEX stacks_pending ON stacks (state_changed_at) WHERE state IN ('LAUNCH_PENDING', 'SUSPEND_PENDING', 'RESUME_PENDING', 'DELETE_PENDING');
CREATE INDEX stacks_in_progress ON stacks (lease_until) WHERE state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING');
CREATE INDEX stacks_idle ON stacks (suspend_at) WHERE state = 'READY';
CREATE INDEX stacks_suspend_by ON stacks (suspend_by) WHERE state = 'READY' AND suspend_by IS NOT NULL;
CREATE INDEX stacks_delete_by ON stacks (delete_by) WHERE delete_by IS NOT NULL;
CREATE INDEX stacks_deadline ON stacks (op_deadline) WHERE state IN ('CREATING', 'SUSPENDING', 'RESUMING', 'DELETING');
CREATE INDEX stacks_provider ON stacks (provider, state);
CREATE INDEX stacks_state ON stacks (state, lab);

CREATE TABLE stack_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stack_id    text NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,
  from_state  text,
  to_state    text NOT NULL,
  reason      text NOT NULL,
  actor       text NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX stack_events_stack ON stack_events (stack_id, id);
`;
