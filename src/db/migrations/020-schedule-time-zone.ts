/**
 * A class's time zone (docs/pools.md, "Schedules"): `time_zone`, an IANA name (Europe/Berlin), is the
 * wall clock a weekly class keeps across daylight-saving changes. NULL (every class stored before): UTC,
 * each week exactly seven days after the last.
 */
export const sql = `
ALTER TABLE class_sessions ADD COLUMN time_zone text;
`;
