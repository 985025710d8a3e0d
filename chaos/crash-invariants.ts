/**
 * What must hold after any number of SIGKILLs, read from the store and the provider itself:
 * no provider stack without the live row it belongs to, no row with two provider stacks, nothing in
 * progress past its deadline.
 */
import type pg from 'pg';
import type { Provider } from '../src/providers/provider.ts';
import { deploymentPrefix } from '../src/providers/stack-names.ts';

/** States with no operation pending or under way (the shelved tier's included: a cloud may shelve). */
export const STABLE = ['READY', 'SUSPENDED', 'SHELVED', 'DELETED', 'LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED', 'SHELVE_FAILED', 'UNSHELVE_FAILED'];

interface Row {
  id: string;
  state: string;
  provider_stack_name: string;
  op_deadline: Date | null;
  state_changed_at: Date;
}

export async function rows(db: pg.Client): Promise<Row[]> {
  return (await db.query<Row>('SELECT id, state, provider_stack_name, op_deadline, state_changed_at FROM stacks')).rows;
}

/**
 * The campaign deployment's provider stacks (`stacklab-<deployment>-<stack id>-<generation>`, found by
 * that name prefix or, on Heat, by the deployment's tag) that no live row accounts for: a stack whose row is
 * DELETED or names another generation, and a stack of the deployment with no row at all.
 */
export async function providerFindings(db: pg.Client, provider: Provider, deployment: string): Promise<{ orphans: string[]; doubled: string[]; live: number }> {
  const all = await rows(db);
  const prefix = deploymentPrefix(deployment);
  // Another deployment's stacks on the same runtime or cloud are not ours to judge.
  const listed = (await provider.list()).filter((s) => s.name.startsWith(prefix) || s.deployment === deployment);
  const orphans: string[] = [];
  const perRow = new Map<string, string[]>();
  for (const stack of listed) {
    const row = all.find((r) => stack.name.startsWith(`${prefix}${r.id}-`));
    if (!row) {
      orphans.push(`${stack.name} (no row of this deployment has its id)`);
      continue;
    }
    perRow.set(row.id, [...(perRow.get(row.id) ?? []), stack.name]);
    if (row.state === 'DELETED' || row.provider_stack_name !== stack.name) orphans.push(`${stack.name} (row ${row.id} is ${row.state}, named ${row.provider_stack_name})`);
  }
  const doubled = [...perRow].filter(([, names]) => names.length > 1).map(([id, names]) => `${id}: ${names.join(', ')}`);
  return { orphans, doubled, live: listed.length };
}

/** Rows still in an operation when they should not be: past their deadline, or pending with nobody claiming. */
export function stuck(all: Row[], now: Date, claimSeconds: number): string[] {
  return all
    .filter((r) => !STABLE.includes(r.state))
    .filter((r) => (r.op_deadline ? r.op_deadline.getTime() + 30_000 < now.getTime() : r.state_changed_at.getTime() + claimSeconds * 1000 < now.getTime()))
    .map((r) => `${r.id} ${r.state} since ${r.state_changed_at.toISOString()}${r.op_deadline ? `, deadline ${r.op_deadline.toISOString()}` : ''}`);
}
