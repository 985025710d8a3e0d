/**
 * The time budgets (usage limits, docs/cost.md) of a course's roster at once, for the class view: the
 * same figures as UsageLimits.status gives one learner, in a few queries for the whole class (one per lab
 * for its limit, one for the course's extensions, one for the histories of the stacks under a limit).
 */
import { runningSeconds } from '../domain/billing.ts';
import { budgetStatus, type BudgetStatus } from '../domain/usage-budget.ts';
import { extensionKey } from '../db/usage-store.ts';
import type { UsageLimits } from './usage-limits.ts';

export interface BudgetedStack {
  stackId: string;
  learner: string;
  lab: string;
}

/** Each stack's budget status by stack id; a stack whose lab has no limit in the course is left out. */
export async function classBudgets(usage: UsageLimits, context: string, stacks: readonly BudgetedStack[], now: Date): Promise<Map<string, BudgetStatus>> {
  const labs = [...new Set(stacks.map((s) => s.lab))];
  const limits = new Map(await Promise.all(labs.map(async (lab) => [lab, (await usage.limitFor(context, lab)).limit] as const)));
  const limited = stacks.filter((s) => limits.get(s.lab));
  const out = new Map<string, BudgetStatus>();
  if (limited.length === 0) return out;
  const [extensions, histories] = await Promise.all([usage.store.extensionTotals(context), usage.store.histories(limited.map((s) => s.stackId), now)]);
  for (const s of limited) {
    const status = budgetStatus(limits.get(s.lab), extensions.get(extensionKey(s.learner, s.lab)) ?? 0, runningSeconds(histories.get(s.stackId) ?? [], now));
    if (status) out.set(s.stackId, status);
  }
  return out;
}
