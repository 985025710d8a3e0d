/**
 * Suspend, resume, delete or reset stacks after a confirmation that names the action and the number of
 * stacks; the request carries that number and the server checks it again (POST /console/api/stacks/bulk).
 */
import { t } from '../i18n.ts';
import { call, errorText } from './api.ts';
import { h } from './dom.ts';

export const ACTIONS = ['suspend', 'resume', 'delete', 'reset'] as const;
export type Action = (typeof ACTIONS)[number];

/** The action's name, as its buttons and the action menu show it. */
export function actionLabel(action: Action): string {
  return t('console.action', { action });
}

/** The confirmation names the action and the number of stacks; the server checks the number again. */
export async function confirmAction(action: Action, ids: string[], result: HTMLElement): Promise<void> {
  const count = ids.length;
  const destroys = action === 'delete' || action === 'reset';
  const dialog = h(
    'dialog',
    { class: 'confirm', id: 'bulk-confirm', 'aria-labelledby': 'bulk-confirm-title' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'bulk-confirm-title' }, t('console.confirmTitle', { action, count })),
      h('p', {}, t('console.confirmBody', { action, count }), destroys ? ` ${t('console.confirmLoss')}` : ''),
      h('div', { class: 'dialog-buttons' }, h('button', { value: 'cancel', type: 'submit' }, t('console.cancel')), h('button', { value: 'go', type: 'submit', class: destroys ? 'danger' : '', id: 'bulk-go' }, t('console.confirmGo', { action, count }))),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  (dialog.querySelector('button[value=cancel]') as HTMLButtonElement).focus();
  const answer = await new Promise<string>((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
  dialog.remove();
  if (answer !== 'go') return;
  result.textContent = t('console.working', { action, count });
  try {
    const answer = await call<{ results: { id: string; ok: boolean; state?: string; message?: string }[] }>('/stacks/bulk', { method: 'POST', body: { action, ids, confirm: count } });
    const failed = answer.results.filter((r) => !r.ok);
    const done = t('console.done', { action, done: answer.results.length - failed.length, count });
    result.textContent = failed.length ? `${done} ${t('console.refused', { messages: failed.map((f) => f.message).join(' ') })}` : done;
  } catch (error) {
    result.textContent = errorText(error);
  }
}
