/**
 * Terminal recordings (asciicast v2 files in the data folder, src/recordings/): one row per recorded
 * terminal session, so the class view can list them per stack and the retention sweep can find the old
 * ones without walking the folder. The file is the recording; the row says where it is and whose it is.
 * The LTI launch also keeps the learner's name and whether they launched as course staff, so the
 * roster shows names instead of ids, and staff apart from learners.
 */
export const sql = `
CREATE TABLE terminal_recordings (
  id          text PRIMARY KEY,
  stack_id    text NOT NULL,
  learner     text NOT NULL,
  context     text NOT NULL,
  lab         text NOT NULL,
  server      text NOT NULL,
  file        text NOT NULL,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  bytes       bigint NOT NULL DEFAULT 0
);
CREATE INDEX terminal_recordings_stack ON terminal_recordings (stack_id, started_at);
CREATE INDEX terminal_recordings_started ON terminal_recordings (started_at);
ALTER TABLE lti_launches ADD COLUMN display_name text;
ALTER TABLE lti_launches ADD COLUMN staff boolean NOT NULL DEFAULT false;
`;
