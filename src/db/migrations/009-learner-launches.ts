/**
 * The launches each learner started (a new stack, a relaunch, a reset), one row each, so that
 * `launches_per_minute` is counted from the store and holds across every server process. Rows older
 * than the window are pruned as new ones are written (db/learner-usage.ts).
 */
export const sql = `
CREATE TABLE learner_launches (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  learner   text NOT NULL,
  stack_id  text NOT NULL,
  at        timestamptz NOT NULL
);
CREATE INDEX learner_launches_learner ON learner_launches (learner, at);
CREATE INDEX learner_launches_at ON learner_launches (at);
`;
