/**
 * The runtime's calls of `nft` on the host's ruleset. Each call reads the ruleset into its cache and
 * commits in one kernel transaction, and the kernel serialises commits: calls side by side only make
 * each other start over (a commit changes the ruleset generation under every cache being read), so
 * with 600 tables on the host 20 creates and deletes at once took 46-88 s and single calls passed
 * the 60 s command limit, where one at a time they took 10-15 s (docs/local-runtime.md, "Host
 * limits"). So a process runs one at a time. Router namespaces have rulesets of their own and are
 * not limited here.
 */
import { CommandError, run, type RunOptions } from './exec.ts';

/** nft calls of this process on the host ruleset at once (measured: 1 beat 2, 4 and no limit). */
export const NFT_CONCURRENCY = 1;

let active = 0;
const waiting: (() => void)[] = [];

export async function nft(args: string[], opts: RunOptions = {}): Promise<string> {
  while (active >= NFT_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  active++;
  try {
    return await run('nft', args, opts);
  } finally {
    active--;
    waiting.shift()?.();
  }
}

/** Applies `nft -f` text in one transaction. */
export function nftApply(text: string, opts: RunOptions = {}): Promise<string> {
  return nft(['-f', '-'], { ...opts, input: text });
}

export interface NftTable {
  family: 'bridge' | 'inet';
  name: string;
}

/**
 * `nft -f` text deleting the tables in one transaction. Each is declared first (a no-op when it
 * exists), so a table already gone is deleted as a table just made: nft 1.0.6 has no `destroy`, and a
 * plain `delete` of a missing table would fail the whole transaction and keep the others.
 */
export function deleteTablesText(tables: NftTable[]): string {
  return tables.map((t) => `table ${t.family} ${t.name} {}\ndelete table ${t.family} ${t.name}\n`).join('');
}

/** True when nft failed because what it was to remove does not exist (which, for a delete, is done). */
export function isMissing(err: unknown): boolean {
  return err instanceof CommandError && err.code === 1 && /No such file or directory/.test(err.stderr);
}

export interface RetryOptions {
  /** Waits before the 2nd, 3rd... attempt, in ms. */
  delaysMs?: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Removes host state with `nft -f` text that is a no-op when it is already gone: "does not exist" is
 * done, any other failure is tried again and then thrown with what nft said, so a delete that could
 * not remove the stack's rules fails instead of leaving them behind unseen. `text` may be a function:
 * it is asked again for each attempt (text made from what the ruleset holds at the time).
 */
export async function nftRemove(what: string, text: string | (() => Promise<string>), { delaysMs = [500, 2000, 5000] }: RetryOptions = {}): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const t = typeof text === 'string' ? text : await text();
      if (!t) return;
      await nftApply(t);
      return;
    } catch (err) {
      // Text read from the ruleset may name what went meanwhile: it is read again (and is then empty, or less).
      if (isMissing(err) && typeof text === 'string') return;
      if (attempt >= delaysMs.length) throw new Error(`could not remove ${what} after ${attempt + 1} attempts: ${(err as Error).message}`, { cause: err });
      if (!isMissing(err)) await sleep(delaysMs[attempt]!);
    }
  }
}
