/**
 * Whose are a stack's firewall rules? Today they hang in its deployment's dispatch tables
 * (nft-dispatch.ts), named by the deployment; before those, each stack had `sl<short>` tables of its
 * own, and the short id is a hash of the stack name, so the name cannot tell the deployment: each
 * table carries a comment naming it instead (nftables >= 0.9.7). What a crash left behind (a process
 * killed between the rules and the state file's removal, say) is taken back by the reconciler only
 * when it is this deployment's (in its dispatch tables, or a table whose comment names it) and no
 * stack of it holds the short id: tables without the comment (made before it existed, by another
 * program, or by another deployment) are never touched.
 */
import { dispatchTable as dispatchTableName, ownersIn, readDispatch } from './nft-dispatch.ts';
import { deleteTablesText, nft, nftRemove, type NftTable } from './nft.ts';
import { removalText } from './security-groups.ts';
import type { StateStore } from './state.ts';

const COMMENT_PREFIX = 'stacklab deployment ';

export function tableComment(deployment: string): string {
  return `${COMMENT_PREFIX}${deployment}`;
}

export interface OwnedTable extends NftTable {
  /** The deployment the table's comment names, if it has such a comment. */
  deployment?: string;
}

/** The `sl<short>` tables in `nft -t list ruleset` text, with the deployment their comment names. */
export function stackTables(ruleset: string): OwnedTable[] {
  const out: OwnedTable[] = [];
  for (const m of ruleset.matchAll(/^table (bridge|inet) (sl[0-9a-f]{6}) \{[^\n]*\n(?:\tcomment "([^"\n]*)"\n)?/gm)) {
    const comment = m[3];
    const deployment = comment?.startsWith(COMMENT_PREFIX) ? comment.slice(COMMENT_PREFIX.length) : undefined;
    out.push({ family: m[1] as OwnedTable['family'], name: m[2]!, ...(deployment ? { deployment } : {}) });
  }
  return out;
}

/** The owner written into a short id's reservation while its leftover tables are removed. */
const reclaimOwner = (deployment: string) => `reclaim:${deployment}`;

/**
 * Removes this deployment's firewall rules whose short id no stack of it holds; returns what went
 * (`<family> sl<short>` for a table of its own, `<family> <dispatch table> sl<short>` for its part of
 * the dispatch tables). The ruleset is read before the stacks, so a stack made meanwhile is known by
 * then; the short id is reserved while its rules go, so no create can take it and make them in between.
 */
export async function reclaimOrphanTables(deployment: string, store: StateStore): Promise<string[]> {
  // -t: sets without their elements; only the tables' heads are read.
  const ours = stackTables(await nft(['-t', 'list', 'ruleset'])).filter((t) => t.deployment === deployment);
  const dispatched = new Map<string, string[]>();
  for (const family of ['bridge', 'inet'] as const) {
    for (const short of ownersIn(await readDispatch(family, deployment))) dispatched.set(short, [...(dispatched.get(short) ?? []), family]);
  }
  if (!ours.length && !dispatched.size) return [];
  const removed: string[] = [];
  // One read of the stacks for every table: a read per table made a reconciler pass at 300 labs read
  // 90,000 state files and held the gateway's event loop for seconds (BENCHMARKS.md, lab-density).
  const held = new Set((await store.list()).map((s) => s.shortId));
  for (const short of new Set([...ours.map((t) => t.name.slice(2)), ...dispatched.keys()])) {
    if (held.has(short)) continue;
    if (!(await store.reserve('id', short, reclaimOwner(deployment)))) continue;
    try {
      // Once more under the reservation: a stack that took the id just before it is now on disk.
      if ((await store.list()).some((s) => s.shortId === short)) continue;
      const tables = ours.filter((t) => t.name === `sl${short}`);
      if (tables.length) await nftRemove(`leftover firewall tables sl${short}`, deleteTablesText(tables));
      removed.push(...tables.map((t) => `${t.family} ${t.name}`));
      if (dispatched.has(short)) {
        await nftRemove(`leftover firewall rules sl${short}`, () => removalText(`sl${short}`, deployment));
        removed.push(...dispatched.get(short)!.map((f) => `${f} ${dispatchTableName(deployment)} sl${short}`));
      }
    } finally {
      await store.release('id', short);
    }
  }
  return removed;
}
