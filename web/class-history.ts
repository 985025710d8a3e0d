/**
 * A learner's lab as course staff touched it, in the class view: the staff actions of the stack's history
 * (watching, taking over, playing a recording, adding time; GET /api/v1/class/stacks/:id/staff-actions),
 * newest first, each with when and who. The sentences are the history's own, as the operators' console
 * shows them; the dialog's texts come from the catalogue (`class.*`).
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
        when.textContent = dateTime(action.at);
        const who = document.createElement('span');
        who.className = 'muted';
        who.translate = false;
        who.textContent = action.actor;
        // The server's sentence, in English as in the console's timeline (docs/i18n.md, "Not yet").
        const what = document.createElement('span');
        what.translate = false;
        what.textContent = action.what;
        item.append(when, ' ', who, ' ', what);
        return item;
      }),
    );
    this.empty.hidden = answer.actions.length > 0;
    this.dialog.showModal();
  }
}
