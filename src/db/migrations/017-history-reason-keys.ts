/**
 * History reasons in the reader's language (issue 22): each entry of a stack's history names the
 * catalogue message its reason was formatted from (`reason_key`, a `history.*` key of locales/en.json)
 * and the values it formats (`reason_values`, a JSON object), beside the English text in `reason`, which
 * the operators' CLI and logs keep reading. The console's timeline and the class view's history say the
 * entry in the page's language from these; an entry written before this migration has neither and is
 * shown as its stored text.
 *
 * Both columns are nullable without a default, so adding them rewrites no row of a long history.
 */
export const sql = `
ALTER TABLE stack_events ADD COLUMN reason_key text;
ALTER TABLE stack_events ADD COLUMN reason_values jsonb;
ALTER TABLE stack_events ADD CONSTRAINT stack_events_reason_said_check
  CHECK ((reason_key IS NULL) = (reason_values IS NULL) AND (reason_values IS NULL OR jsonb_typeof(reason_values) = 'object'));
`;
