/**
 * Usage limits and the cost report (docs/cost.md).
 *
 * - `stack_events.activity_at`: the stack's last activity when the entry was written, so that learning
 *   time (running time up to the last activity before a suspend, domain/billing.ts) can be told from the
 *   history. Entries written before this migration have none.
 * - `usage_limits`: a course's budget for a lab, overriding the lab's `usage_limit` (one row per context
 *   and lab).
 * - `usage_extensions`: time the course team added to one learner's budget, one row per grant, kept for
 *   the record (who, when, why).
 * - `stack_events_at`: the report reads the history of a month.
 */
export const sql = `
ALTER TABLE stack_events ADD COLUMN activity_at timestamptz;
CREATE INDEX stack_events_at ON stack_events (at);

CREATE TABLE usage_limits (
  context     text NOT NULL,
  lab         text NOT NULL,
  seconds     integer NOT NULL CHECK (seconds > 0),
  mode        text NOT NULL CHECK (mode IN ('none', 'warn', 'block')),
  actor       text NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (context, lab)
);

CREATE TABLE usage_extensions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  learner     text NOT NULL,
  context     text NOT NULL,
  lab         text NOT NULL,
  seconds     integer NOT NULL CHECK (seconds > 0),
  note        text NOT NULL DEFAULT '',
  actor       text NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX usage_extensions_learner ON usage_extensions (learner, context, lab);
`;
