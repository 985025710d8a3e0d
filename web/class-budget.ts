/**
 * Time budgets in the class view (usage limits, docs/cost.md): the time left shown in a learner's row,
 * and "Add time", a small dialog with a few amounts that calls
 * POST /api/v1/class/stacks/:id/budget/extensions (the server checks the instructor's rights and course).
 * Texts from the catalogue (`class.*` in locales/), durations as the lab page shows them.
 */
import type { BudgetStatus } from '../src/domain/usage-budget.ts';
import type { ClassBudgetAnswer } from '../src/http/routes/class-budget.ts';
import type { Api } from './api-client.ts';
import { duration, t } from './i18n.ts';

/** The amounts offered, in seconds: half an hour of make-up, an hour, two, an afternoon. */
export const EXTENSION_CHOICES = [1800, 3600, 7200, 18000] as const;

const clock = (seconds: number) => duration(seconds * 1000);

/**
 * The time a budget counts as used, to the second, as the complement of the time left shown beside it:
 * rounded separately, the two could miss the budget by a second.
 */
export function budgetUsed(budget: BudgetStatus): number {
  return budget.exhausted ? Math.round(budget.usedSeconds) : budget.budgetSeconds - Math.round(budget.leftSeconds);
}

/** "1:30:00 left of 10:00:00", or that it is used up. */
export function budgetText(budget: BudgetStatus): string {
  return budget.exhausted ? t('class.budgetUsedUp', { budget: clock(budget.budgetSeconds) }) : t('class.budgetLeft', { left: clock(Math.round(budget.leftSeconds)), budget: clock(budget.budgetSeconds) });
}

/** "30 minutes", "2 hours": the catalogue's words with the locale's plural and digits (Intl, through ICU). */
function amount(seconds: number): string {
  return seconds % 3600 === 0 ? t('class.amountHours', { hours: seconds / 3600 }) : t('class.amountMinutes', { minutes: seconds / 60 });
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** The "Add time" dialog, built once and reused for each learner. */
export class BudgetDialog {
  private readonly dialog: HTMLDialogElement;
  private readonly title = element('h2');
  private readonly status = element('p');
  private readonly choice = element('select', { id: 'budget-amount' });
  private target: { stackId: string; name: string } | undefined;

  constructor(
    private readonly api: Api,
    private readonly events: { onExtended(message: string): void; onError(error: unknown): void },
  ) {
    for (const seconds of EXTENSION_CHOICES) this.choice.append(element('option', { value: String(seconds), textContent: amount(seconds), selected: seconds === 3600 }));
    const form = element(
      'form',
      { method: 'dialog' },
      this.title,
      this.status,
      element('label', { htmlFor: 'budget-amount' }, t('class.addTimeAmount'), ' ', this.choice),
      element('div', { className: 'dialog-buttons' }, element('button', { type: 'submit', value: 'cancel', textContent: t('class.cancel') }), element('button', { type: 'submit', value: 'extend', id: 'budget-confirm', textContent: t('class.addTimeConfirm') })),
    );
    this.dialog = element('dialog', { id: 'budget-dialog', className: 'reset-dialog' }, form);
    this.dialog.addEventListener('close', () => void this.closed());
    document.body.append(this.dialog);
  }

  open(stackId: string, name: string, budget: BudgetStatus): void {
    this.target = { stackId, name };
    this.title.textContent = t('class.addTimeTitle', { name });
    this.status.textContent = t('class.addTimeStatus', { elapsed: clock(Math.round(budget.usedSeconds)), budget: clock(budget.budgetSeconds), left: clock(budget.leftSeconds) });
    this.dialog.returnValue = '';
    this.dialog.showModal();
  }

  private async closed(): Promise<void> {
    const target = this.target;
    this.target = undefined;
    if (this.dialog.returnValue !== 'extend' || !target) return;
    try {
      const answer = await this.api.post<ClassBudgetAnswer>(`/api/v1/class/stacks/${encodeURIComponent(target.stackId)}/budget/extensions`, { seconds: Number(this.choice.value) });
      this.events.onExtended(t('class.addTimeDone', { name: target.name, left: clock(answer.budget.leftSeconds) }));
    } catch (error) {
      this.events.onError(error);
    }
  }
}
