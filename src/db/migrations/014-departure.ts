/**
 * Departure: the lab page tells the server when it goes away (a beacon), and the stack suspends after a
 * short grace unless activity follows (domain/policy.ts isDeparted).
 *
 * - `departed_at`: when the last departure beacon arrived. Activity after it (another page's keepalive,
 *   the learner coming back) cancels the departure without any write of its own: keepalives keep writing
 *   only last_activity_at, and the sweep compares the two.
 * - `departure_suspend_at`: departed_at + the lab's grace, indexed like suspend_at so the suspender's
 *   look for departed stacks stays an index scan.
 */
export const sql = `
ALTER TABLE stacks ADD COLUMN departed_at timestamptz;
ALTER TABLE stacks ADD COLUMN departure_suspend_at timestamptz;
CREATE INDEX stacks_departure ON stacks (departure_suspend_at) WHERE state = 'READY' AND departure_suspend_at IS NOT NULL;
`;
