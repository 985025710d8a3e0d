/**
 * Names under which PostgreSQL keeps the lifecycle's most frequent statements prepared on each connection
 * (QueryOptions.prepare), so they are parsed and planned once per connection instead of at every call.
 * Their text is built from the columns a call changes, so each distinct text gets a name of its own, the
 * first time this process sends it: a name always goes with the same text, as a prepared statement must.
 *
 * Only statements that find their rows by a unique key (a stack's id, a learner's stack of a lab, a course's
 * limit of a lab) are named: their plan is the same for every value, so PostgreSQL's generic plan costs
 * nothing. Measured with the cost benchmark: parsing and planning were a fifth of PostgreSQL's CPU
 * (BENCHMARKS.md, "Pay only for learning").
 */
import type { QueryOptions } from './database.ts';

const names = new Map<string, string>();

/** The options that send `sql` as a prepared statement of its own. */
export function prepared(sql: string): QueryOptions {
  let name = names.get(sql);
  if (name === undefined) {
    name = `stacklab_k${names.size + 1}`;
    names.set(sql, name);
  }
  return { prepare: name };
}
