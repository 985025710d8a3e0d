/**
 * Who holds a grade outbox row's lease: every write a sender makes after its send checks that it still
 * holds the lease, so a sender that stalled past it (and was taken over) never marks a row.
 */
export const sql = `
ALTER TABLE lti_grade_outbox ADD COLUMN lease_owner text
`;
