/**
 * Class schedules and predictive resume (docs/pools.md, "Schedules" and "Predictive resume").
 *
 * - `class_sessions`: a course's class times, added through the API or the CLI (those in the config
 *   file's `schedules` are not stored: the file stays their one source). `lab` NULL: every lab of the
 *   course. `weekly_until`: the class repeats each week while it starts no later than this.
 * - `course_visits`: when a learner opened a course (an LTI launch or the lab page's launch of one of its
 *   labs), kept only while `habit_resume` is on and only for the weeks it looks back over, so it can
 *   tell the hour a learner usually comes at.
 */
export const sql = `
CREATE TABLE class_sessions (
  id            text PRIMARY KEY,
  course        text NOT NULL,
  lab           text,
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL,
  learners      integer NOT NULL CHECK (learners >= 0),
  lead_seconds  integer NOT NULL CHECK (lead_seconds >= 0),
  weekly_until  timestamptz,
  actor         text NOT NULL,
  created_at    timestamptz NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX class_sessions_course ON class_sessions (course);

CREATE TABLE course_visits (
  learner  text NOT NULL,
  context  text NOT NULL,
  at       timestamptz NOT NULL
);
CREATE INDEX course_visits_at ON course_visits (at);
`;
