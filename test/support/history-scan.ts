/**
 * Every test database is scanned when it is dropped (databases.ts): each step recorded in any stack's
 * history must be legal by the transition table (domain/states.ts isLegalStep). Node's test runner runs
 * each file in its own process, so a scan "after the suite" could not see the files' databases; scanning
 * each one as it goes away covers every history any store, lifecycle, HTTP, LTI or end-to-end test made.
 *
 * Staff actions (migration 015) are not steps: they must only keep the state they found.
 *
 * The database refuses illegal steps itself (migration 006); the scan checks with the TypeScript table,
 * independently, so it also catches a trigger that is missing or wrong.
 */
import type { Queryable } from '../../src/db/database.ts';
import { isLegalStep, isState } from '../../src/domain/states.ts';

interface StepRow {
  from_state: string | null;
  to_state: string;
  n: number;
  stack_id: string;
  reason: string;
}

/** The illegal steps recorded, as readable lines (empty when every history is legal). */
export async function illegalSteps(db: Queryable): Promise<string[]> {
  const rows = await db.query<StepRow>(
    `SELECT DISTINCT ON (from_state, to_state) from_state, to_state, count(*) OVER (PARTITION BY from_state, to_state)::int AS n, stack_id, reason
     FROM stack_events WHERE kind = 'transition' ORDER BY from_state, to_state, id`,
  );
  // A staff action (migration 015) moves no state: its from and to are the same state.
  const staff = await db.query<StepRow>(
    `SELECT DISTINCT ON (from_state, to_state) from_state, to_state, count(*) OVER (PARTITION BY from_state, to_state)::int AS n, stack_id, reason
     FROM stack_events WHERE kind = 'staff_action' AND from_state IS DISTINCT FROM to_state ORDER BY from_state, to_state, id`,
  );
  return [
    ...rows
      .filter((r) => !(isState(r.to_state) && (r.from_state === null || isState(r.from_state)) && isLegalStep(r.from_state, r.to_state)))
      .map((r) => `${r.from_state ?? 'nothing'} -> ${r.to_state}: ${r.n} time(s), first in stack ${r.stack_id} ("${r.reason}")`),
    ...staff.map((r) => `staff action ${r.from_state ?? 'nothing'} -> ${r.to_state}: ${r.n} time(s), first in stack ${r.stack_id} ("${r.reason}")`),
  ];
}

export async function assertLegalHistory(db: Queryable): Promise<void> {
  const illegal = await illegalSteps(db);
  if (illegal.length > 0) {
    throw new Error(`stack histories record steps the transition table (src/domain/states.ts) does not allow:\n  ${illegal.join('\n  ')}`);
  }
}
