/**
 * The staff console (docs/console.md): named operator accounts, their signed-in sessions, and the indexes
 * the console's stack list pages through.
 *
 * - `operators.password_hash`: `scrypt$N$r$p$salt$hash` (services/operator-passwords.ts), never the password.
 * - `operator_sessions.token_hash`: SHA-256 of the cookie's random token, so a copy of the table does not
 *   let anyone sign in. Removing an operator removes their sessions (ON DELETE CASCADE).
 * - The list is paged by keyset on (sort column, id), newest first by default. One index per sort the
 *   console offers, and one per common filter leading into the default sort, so a page is an index range
 *   scan, not a sort of every row. `last_activity_at` is deliberately not indexed: keepalives update it
 *   many times a minute as heap-only updates (migration 004), which an index on it would prevent.
 * - Learners are sorted and searched by prefix in the "C" collation (byte order): one index then serves
 *   both the sort and `LIKE 'prefix%'`, whatever the database's own collation.
 */
export const sql = `
CREATE TABLE operators (
  name           text PRIMARY KEY,
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

CREATE TABLE operator_sessions (
  token_hash   text PRIMARY KEY,
  operator     text NOT NULL REFERENCES operators(name) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator);
CREATE INDEX operator_sessions_expiry ON operator_sessions (expires_at);

CREATE INDEX stacks_console_created ON stacks (created_at, id);
CREATE INDEX stacks_console_changed ON stacks (state_changed_at, id);
CREATE INDEX stacks_console_learner ON stacks ((learner COLLATE "C"), id);
CREATE INDEX stacks_console_lab ON stacks (lab, created_at, id);
CREATE INDEX stacks_console_context ON stacks (context, created_at, id);
CREATE INDEX stacks_console_state ON stacks (state, created_at, id);
CREATE INDEX stacks_console_provider ON stacks (provider, created_at, id);
CREATE INDEX stack_events_failures ON stack_events (at) WHERE to_state LIKE '%FAILED';
`;
