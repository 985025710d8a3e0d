/**
 * Progress check runs: one row per attempt, kept as the learner's history for a lab. The partial unique index
 * allows at most one running check per stack, so two requests at once (even in two processes) run it once:
 * the second insert conflicts and joins the running one. `deadline` lets a later request take over a run
 * whose process died.
 */
export const sql = `
CREATE TABLE check_runs (
  id           text PRIMARY KEY,
  -- The order of attempts: timestamps can tie (a test clock), "latest" means the highest seq.
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  stack_id     text NOT NULL,
  learner      text NOT NULL,
  context      text NOT NULL,
  lab          text NOT NULL,
  status       text NOT NULL CHECK (status IN ('running', 'completed', 'error')),
  actor        text NOT NULL,
  started_at   timestamptz NOT NULL,
  deadline     timestamptz NOT NULL,
  finished_at  timestamptz,
  passed       integer,
  total        integer,
  score        double precision CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
  results      jsonb NOT NULL DEFAULT '[]',
  error        text
);
CREATE UNIQUE INDEX check_runs_one_running ON check_runs (stack_id) WHERE status = 'running';
CREATE INDEX check_runs_stack ON check_runs (stack_id, seq DESC);
CREATE INDEX check_runs_history ON check_runs (learner, context, lab, seq) WHERE status = 'completed';
`;
