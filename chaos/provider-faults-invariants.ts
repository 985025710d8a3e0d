/**
 * What must hold however badly the cloud answers (the provider-faults campaign): a learner's failure
 * message says what to do and leaks nothing of the plumbing, and Heat never holds two live stacks for
 * one learner's lab, nor a stack of a lab that was deleted. Pure functions of what the store and Heat
 * say, so that they are tested on their own (test/unit/chaos/provider-faults-invariants.test.ts).
 */
import type { ProviderStackSummary } from '../src/providers/provider.ts';
import { deploymentPrefix } from '../src/providers/stack-names.ts';

/** Words of the plumbing that a learner's message must never carry (they belong in the log). */
const PLUMBING = /\b(ECONN\w*|EPIPE|ETIMEDOUT|UND_ERR\w*|HTTP \d{3}|TypeError|fetch failed|terminated|Traceback|undefined|\[object|fault proxy|X-Auth-Token)\b|https?:\/\//i;
/** A message a learner can act on says what to do next, or who will. */
const NEXT_STEP = /try again|in a (few )?minutes?|in a moment|later|ask (the|your) course team|the operator|delete it and launch again|launch (it )?again/i;

/** Why a learner could not act on `message` (null: they can). */
export function unactionable(message: string | null | undefined): string | null {
  const text = (message ?? '').trim();
  if (!text) return 'no message at all';
  const leak = PLUMBING.exec(text);
  if (leak) return `it shows the plumbing ('${leak[0]}')`;
  if (!NEXT_STEP.test(text)) return 'it does not say what to do next';
  if (text.length > 600) return `it is ${text.length} characters long`;
  return null;
}

export interface RowView {
  id: string;
  learner: string;
  state: string;
  providerStackName: string;
}

export interface StackCount {
  /** Rows with more than one live (not deleting) stack on Heat at once, with the names. */
  doubled: string[];
  /** Names that Heat holds twice (two creates of one name both got through). */
  sameName: string[];
  /** The most live stacks any one row had. */
  most: number;
}

const live = (s: ProviderStackSummary) => s.action !== 'DELETE';

/** The deployment's live stacks on Heat, by the row (learner's lab) whose name they carry. */
export function countPerRow(stacks: ProviderStackSummary[], rows: RowView[], deployment: string): StackCount {
  const prefix = deploymentPrefix(deployment);
  const perRow = new Map<string, string[]>();
  const names = new Map<string, number>();
  for (const stack of stacks.filter(live)) {
    names.set(stack.name, (names.get(stack.name) ?? 0) + 1);
    const row = rows.find((r) => stack.name.startsWith(`${prefix}${r.id}-`));
    if (row) perRow.set(row.id, [...(perRow.get(row.id) ?? []), stack.name]);
  }
  const doubled = [...perRow].filter(([, list]) => list.length > 1).map(([id, list]) => `${rows.find((r) => r.id === id)?.learner ?? id}: ${list.join(', ')}`);
  const sameName = [...names].filter(([, n]) => n > 1).map(([name, n]) => `${name} (${n} times)`);
  return { doubled, sameName, most: Math.max(0, ...[...perRow.values()].map((l) => l.length)) };
}

/**
 * Stacks of the deployment on Heat that no row accounts for once everything has settled: a DELETED
 * row holds none, any other row only the one it names.
 */
export function orphans(stacks: ProviderStackSummary[], rows: RowView[], deployment: string): string[] {
  const prefix = deploymentPrefix(deployment);
  const holding = new Set(rows.filter((r) => r.state !== 'DELETED').map((r) => r.providerStackName));
  return stacks
    .filter((s) => s.name.startsWith(prefix) && !(s.action === 'DELETE' && s.status === 'COMPLETE'))
    .filter((s) => !holding.has(s.name))
    .map((s) => {
      const row = rows.find((r) => s.name.startsWith(`${prefix}${r.id}-`));
      return `${s.name} (${s.action}_${s.status}; ${row ? `row of ${row.learner} is ${row.state}, named ${row.providerStackName}` : 'no row'})`;
    });
}
