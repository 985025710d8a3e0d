/**
 * Suspend, resume, delete or reset stacks after a confirmation that names the action and the number of
 * stacks; the request carries that number and the server checks it again (POST /console/api/stacks/bulk).
 */
import { call, errorText } from './api.ts';
import { h } from './dom.ts';

export const ACTIONS = { suspend: 'Suspend', resume: 'Resume', delete: 'Delete', reset: 'Reset' } as const;
export type Action = keyof typeof ACTIONS;

/** The confirmation names the action and the number of stacks; the server checks the number again. */
export async function confirmAction(action: Action, ids: string[], result: HTMLElement): Promise<void> {
  const noun = ids.length === 1 ? 'stack' : 'stacks';
  const warning = action === 'delete' || action === 'reset' ? ' Everything the learners did in them is lost.' : '';
  const dialog = h(
    'dialog',
    { class: 'confirm', id: 'bulk-confirm', 'aria-labelledby': 'bulk-confirm-title' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'bulk-confirm-title' }, `${ACTIONS[action]} ${ids.length} ${noun}?`),
      h('p', {}, `This asks for ${action} on ${ids.length} ${noun}; it is recorded in each stack's history under your name.${warning}`),
      h('div', { class: 'dialog-buttons' }, h('button', { value: 'cancel', type: 'submit' }, 'Cancel'), h('button', { value: 'go', type: 'submit', class: action === 'suspend' || action === 'resume' ? '' : 'danger', id: 'bulk-go' }, `${ACTIONS[action]} ${ids.length} ${noun}`)),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  (dialog.querySelector('button[value=cancel]') as HTMLButtonElement).focus();
  const answer = await new Promise<string>((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
  dialog.remove();
  if (answer !== 'go') return;
  result.textContent = `${ACTIONS[action]}: working on ${ids.length} ${noun}…`;
  try {
    const answer = await call<{ results: { id: string; ok: boolean; state?: string; message?: string }[] }>('/stacks/bulk', { method: 'POST', body: { action, ids, confirm: ids.length } });
    const failed = answer.results.filter((r) => !r.ok);
    result.textContent = `${ACTIONS[action]}: ${answer.results.length - failed.length} of ${ids.length} asked.${failed.length ? ` Refused: ${failed.map((f) => f.message).join(' ')}` : ''}`;
  } catch (error) {
    result.textContent = errorText(error);
  }
}
