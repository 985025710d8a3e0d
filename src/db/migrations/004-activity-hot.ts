/**
 * Keepalives write only last_activity_at and updated_at, which no index covers, so PostgreSQL can update
 * the row in place on its page (a heap-only tuple) instead of adding an entry to every index. That needs
 * free room on each page: fillfactor 80 keeps a fifth of every new page for such updates.
 */
export const sql = `
ALTER TABLE stacks SET (fillfactor = 80);
`;
