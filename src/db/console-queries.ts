/**
 * The staff console's reads over stacks (docs/console.md): a filtered list paged by keyset, and the
 * counts behind the providers panel. Read-only: every change goes through services/stack-service.ts.
 *
 * Keyset paging: a page ends with a cursor holding the last row's sort value and id; the next page asks
 * for rows strictly after that pair in the sort order. With the indexes of migration 011 each page is one
 * index range scan, as fast at page 1,000 as at page 1 (OFFSET would read and drop every earlier row).
 */
import type { Stack } from '../domain/stack.ts';
import { OCCUPYING_STATES, type StackState } from '../domain/states.ts';
import type { Queryable } from './database.ts';
import { stackColumns, toStack, type StackRow } from './stack-rows.ts';

export const CONSOLE_SORTS = { created: 'created_at', changed: 'state_changed_at', learner: 'learner COLLATE "C"' } as const;
export type ConsoleSort = keyof typeof CONSOLE_SORTS;

export interface ConsoleFilter {
  /** Learner ids starting with this text. */
  q?: string;
  learner?: string;
  lab?: string;
  context?: string;
  provider?: string;
  state?: StackState[];
  sort: ConsoleSort;
  order: 'asc' | 'desc';
  /** The cursor of the page before (ConsolePage.next). */
  after?: string;
  limit: number;
}

export interface ConsolePage {
  stacks: Stack[];
  /** Where the next page starts; null on the last page. */
  next: string | null;
}

/** A cursor is opaque to clients: base64url of [sort value, id]. */
export function encodeCursor(value: string, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(parsed) && parsed.length === 2 && parsed.every((v) => typeof v === 'string') ? [parsed[0], parsed[1]] : null;
  } catch {
    return null;
  }
}

function sortValue(stack: Stack, sort: ConsoleSort): string {
  if (sort === 'learner') return stack.learner;
  return (sort === 'created' ? stack.createdAt : stack.stateChangedAt).toISOString();
}

export function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class ConsoleQueries {
  constructor(private readonly db: Queryable) {}

  /** Throws a RangeError naming the problem when the cursor is not one this list gave out. */
  async list(filter: ConsoleFilter): Promise<ConsolePage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.q) where.push(`learner COLLATE "C" LIKE ${bind(likePrefix(filter.q))}`);
    if (filter.learner) where.push(`learner = ${bind(filter.learner)}`);
    if (filter.lab) where.push(`lab = ${bind(filter.lab)}`);
    if (filter.context) where.push(`context = ${bind(filter.context)}`);
    if (filter.provider) where.push(`provider = ${bind(filter.provider)}`);
    if (filter.state?.length === 1) where.push(`state = ${bind(filter.state[0])}`);
    else if (filter.state?.length) where.push(`state = ANY(${bind(filter.state)}::text[])`);
    const column = CONSOLE_SORTS[filter.sort];
    const direction = filter.order === 'asc' ? 'ASC' : 'DESC';
    if (filter.after) {
      const cursor = decodeCursor(filter.after);
      if (!cursor) throw new RangeError('the cursor "after" is not one this list gave out: start again from the first page');
      const value = filter.sort === 'learner' ? `${bind(cursor[0])}::text COLLATE "C"` : `${bind(cursor[0])}::timestamptz`;
      where.push(`(${column}, id) ${filter.order === 'asc' ? '>' : '<'} (${value}, ${bind(cursor[1])})`);
    }
    const limit = bind(filter.limit + 1);
    const rows = await this.db.query<StackRow>(
      `SELECT ${stackColumns()} FROM stacks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${column} ${direction}, id ${direction} LIMIT ${limit}`,
      params,
    );
    const stacks = rows.slice(0, filter.limit).map(toStack);
    const last = stacks[stacks.length - 1];
    return { stacks, next: rows.length > filter.limit && last ? encodeCursor(sortValue(last, filter.sort), last.id) : null };
  }

  /** Stacks holding a place on each provider (OCCUPYING_STATES, as capacity is counted). */
  async usedByProvider(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ provider: string; n: number }>(
      'SELECT provider, count(*)::int AS n FROM stacks WHERE provider IS NOT NULL AND state = ANY($1::text[]) GROUP BY provider',
      [OCCUPYING_STATES],
    );
    return Object.fromEntries(rows.map((r) => [r.provider, r.n]));
  }

  /**
   * Failed operations since `since`, by provider and error code (docs/errors.md), from the history: a
   * stack that failed and was retried still counts. The code is the stack's current one (the history
   * keeps the reason sentence, not the code), or `UNKNOWN` once it has been cleared.
   */
  async failuresSince(since: Date): Promise<{ provider: string; code: string; count: number; last: Date }[]> {
    const rows = await this.db.query<{ provider: string | null; code: string | null; n: number; last: Date }>(
      `SELECT s.provider, s.error_code AS code, count(*)::int AS n, max(e.at) AS last
         FROM stack_events e JOIN stacks s ON s.id = e.stack_id
        WHERE e.kind = 'transition' AND e.to_state LIKE '%FAILED' AND e.at >= $1
        GROUP BY s.provider, s.error_code ORDER BY n DESC`,
      [since],
    );
    return rows.map((r) => ({ provider: r.provider ?? '(none)', code: r.code ?? 'UNKNOWN', count: r.n, last: r.last }));
  }
}

export interface GradeRow {
  score: number;
  status: string;
  scoredAt: Date;
  sentAt: Date | null;
  lastError: string | null;
}

/** The grades sent (or waiting to be sent) to the LMS for a learner's lab in a course, newest first. */
export async function gradesFor(db: Queryable, key: { learner: string; context: string; lab: string }, limit = 20): Promise<GradeRow[]> {
  const rows = await db.query<{ score: number; status: string; scored_at: Date; sent_at: Date | null; last_error: string | null }>(
    'SELECT score, status, scored_at, sent_at, last_error FROM lti_grade_outbox WHERE learner = $1 AND context = $2 AND lab = $3 ORDER BY id DESC LIMIT $4',
    [key.learner, key.context, key.lab, limit],
  );
  return rows.map((r) => ({ score: r.score, status: r.status, scoredAt: r.scored_at, sentAt: r.sent_at, lastError: r.last_error }));
}
