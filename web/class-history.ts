/**
 * A learner's lab as course staff touched it, in the class view: the staff actions of the stack's history
 * (watching, taking over, playing a recording, adding time; GET /api/v1/class/stacks/:id/staff-actions),
 * newest first, each with when and who. What was done is said from its catalogue key and values
 * (`history.*`, src/infra/i18n/history-reasons.ts); an entry older than those keys shows its stored
 * English. The dialog's own texts come from the catalogue too (`class.*`).
 */
import type { StaffActionItem } from '../src/http/routes/class-api.ts';
import type { Api } from './api-client.ts';
import { dateTime, t } from './i18n.ts';

type StaffActionAnswer = { actions: (Omit<StaffActionItem, 'at'> & { at: string })[] };

export class HistoryDialog {
  private readonly dialog = document.createElement('dialog');
  private readonly title = document.createElement('h2');
  private readonly list = document.createElement('ul');
  private readonly empty = document.createElement('p');

  constructor(private readonly api: Api) {
    this.dialog.id = 'history-dialog';
    this.dialog.className = 'reset-dialog';
    this.list.id = 'history-list';
    this.list.className = 'recordings';
    this.empty.className = 'muted';
    this.empty.textContent = t('class.historyEmpty');
    const close = document.createElement('button');
    close.type = 'submit';
    close.textContent = t('class.close');
    const buttons = document.createElement('div');
    buttons.className = 'dialog-buttons';
    buttons.append(close);
    const form = document.createElement('form');
    form.method = 'dialog';
    form.append(this.title, this.list, this.empty, buttons);
    this.dialog.append(form);
    document.body.append(this.dialog);
  }

  async open(stackId: string, name: string): Promise<void> {
    const answer = await this.api.get<StaffActionAnswer>(`/api/v1/class/stacks/${encodeURIComponent(stackId)}/staff-actions`);
    this.title.textContent = t('class.historyTitle', { name });
    this.list.replaceChildren(
      ...[...answer.actions].reverse().map((action) => {
        const item = document.createElement('li');
        const when = document.createElement('time');
        when.dateTime = action.at;
        // A date is data, formatted by Intl in the page's locale (docs/i18n.md), like the roster's.
        when.translate = false;
        when.textContent = dateTime(action.at);
        const who = document.createElement('span');
        who.className = 'muted';
        who.translate = false;
        who.textContent = action.actor;
        const what = document.createElement('span');
        what.className = 'what';
        if (action.whatKey) {
          what.textContent = t(action.whatKey, action.whatValues ?? {});
        } else {
          // Written before the history named its messages (migration 017): the stored English, as data.
          what.translate = false;
          what.textContent = action.what;
        }
        item.append(when, ' ', who, ' ', what);
        return item;
      }),
    );
    this.empty.hidden = answer.actions.length > 0;
    this.dialog.showModal();
  }
}
