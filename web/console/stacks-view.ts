/**
 * The stack list: filters (learner prefix, lab, course, provider, state), sort, pages from the server
 * (keyset cursors, so "Next" is as fast on page 500 as on page 1), selection and bulk actions behind a
 * confirmation that names how many stacks it acts on.
 */
import { call, errorText } from './api.ts';
import { h, show, when } from './dom.ts';
import type { StackItem } from './types.ts';
import { ACTIONS, confirmAction, type Action } from './confirm-action.ts';

const STATE_GROUPS: Record<string, string> = {
  '': 'any state',
  READY: 'running (READY)',
  'SUSPENDED,SHELVED': 'suspended or shelved',
  'LAUNCH_PENDING,CREATING': 'launching',
  'LAUNCH_FAILED,SUSPEND_FAILED,RESUME_FAILED,DELETE_FAILED,SHELVE_FAILED,UNSHELVE_FAILED': 'failed',
  'SUSPEND_PENDING,SUSPENDING,RESUME_PENDING,RESUMING,SHELVE_PENDING,SHELVING,UNSHELVE_PENDING,UNSHELVING': 'suspending or resuming',
  'DELETE_PENDING,DELETING': 'being deleted',
  DELETED: 'deleted',
};

interface Query {
  q: string;
  lab: string;
  context: string;
  provider: string;
  state: string;
  sort: string;
  order: string;
}

/** Kept while the page is open, so coming back from a stack shows the same list. */
const query: Query = { q: '', lab: '', context: '', provider: '', state: '', sort: 'created', order: 'desc' };
let cursors: (string | undefined)[] = [undefined];
let currentPage = 0;

function field(id: string, label: string, control: HTMLInputElement | HTMLSelectElement): HTMLElement {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function select(name: keyof Query, options: Record<string, string>): HTMLSelectElement {
  const el = h('select', { name }, ...Object.entries(options).map(([value, label]) => h('option', { value }, label)));
  el.value = query[name];
  return el;
}

function input(name: keyof Query, placeholder: string): HTMLInputElement {
  const el = h('input', { name, placeholder, autocomplete: 'off', spellcheck: 'false' });
  el.value = query[name];
  return el;
}

export async function showStacks(main: HTMLElement): Promise<void> {
  const status = h('p', { class: 'status', role: 'status', id: 'list-status' });
  const tableHolder = h('div', { class: 'table-holder' });
  const pager = h('div', { class: 'pager' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter stacks' },
    field('f-q', 'Learner starts with', input('q', 'learner id')),
    field('f-lab', 'Lab', input('lab', 'lab id')),
    field('f-context', 'Course (context)', input('context', 'context id')),
    field('f-provider', 'Provider', input('provider', 'provider name')),
    field('f-state', 'State', select('state', STATE_GROUPS)),
    field('f-sort', 'Sort by', select('sort', { created: 'created', changed: 'last state change', learner: 'learner' })),
    field('f-order', 'Order', select('order', { desc: 'newest / Z first', asc: 'oldest / A first' })),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    for (const key of Object.keys(query) as (keyof Query)[]) query[key] = String(data.get(key) ?? '').trim();
    cursors = [undefined];
    currentPage = 0;
    void load(0);
  });

  const selected = new Set<string>();
  const actionSelect = h('select', { id: 'bulk-action', 'aria-label': 'Action for the selected stacks' }, ...Object.entries(ACTIONS).map(([value, label]) => h('option', { value }, label)));
  const applyButton = h('button', { type: 'button', id: 'bulk-apply', disabled: true }, 'Apply to selected');
  const bulkResult = h('p', { class: 'status', role: 'status', id: 'bulk-result' });
  const bulkBar = h('div', { class: 'bulk' }, actionSelect, applyButton, bulkResult);
  const refreshSelection = () => {
    applyButton.disabled = selected.size === 0;
    applyButton.textContent = selected.size ? `Apply to ${selected.size} selected` : 'Apply to selected';
  };
  applyButton.addEventListener('click', () => void confirmAction(actionSelect.value as Action, [...selected], bulkResult).then(() => load(currentPage)));

  async function load(pageIndex: number): Promise<void> {
    status.textContent = 'Loading…';
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
    const after = cursors[pageIndex];
    if (after) params.set('after', after);
    let page: { stacks: StackItem[]; next: string | null };
    try {
      page = await call('/stacks?' + params.toString());
    } catch (error) {
      status.textContent = errorText(error);
      return;
    }
    currentPage = pageIndex;
    cursors = cursors.slice(0, pageIndex + 1);
    if (page.next) cursors.push(page.next);
    selected.clear();
    refreshSelection();
    status.textContent = page.stacks.length ? `Page ${pageIndex + 1}: ${page.stacks.length} stacks${page.next ? '' : ' (last page)'}` : 'No stack matches these filters.';
    tableHolder.replaceChildren(table(page.stacks, selected, refreshSelection));
    const previous = h('button', { type: 'button', disabled: pageIndex === 0, onclick: () => void load(pageIndex - 1) }, '← Previous page');
    const next = h('button', { type: 'button', id: 'next-page', disabled: !page.next, onclick: () => void load(pageIndex + 1) }, 'Next page →');
    pager.replaceChildren(previous, next);
  }

  show(main, h('h2', {}, 'Stacks'), form, bulkBar, status, tableHolder, pager);
  await load(currentPage);
}

function table(stacks: StackItem[], selected: Set<string>, changed: () => void): HTMLElement {
  const boxes: HTMLInputElement[] = [];
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select every stack on this page' });
  all.addEventListener('change', () => {
    for (const box of boxes) {
      box.checked = all.checked;
      if (all.checked) selected.add(box.value);
      else selected.delete(box.value);
    }
    changed();
  });
  const rows = stacks.map((s) => {
    const box = h('input', { type: 'checkbox', value: s.id, 'aria-label': `Select the stack of ${s.learner} for ${s.lab}` });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(s.id);
      else selected.delete(s.id);
      changed();
    });
    boxes.push(box);
    return h(
      'tr',
      { 'data-stack': s.id },
      h('td', {}, box),
      h('td', {}, h('a', { href: `#/stacks/${encodeURIComponent(s.id)}` }, s.learner)),
      h('td', {}, s.lab),
      h('td', {}, s.context),
      h('td', {}, s.provider ?? '–'),
      h('td', {}, h('span', { class: `state state-${s.state}` }, s.state), s.errorCode ? h('span', { class: 'muted' }, ` ${s.errorCode}`) : null),
      h('td', {}, when(s.stateChangedAt)),
      h('td', {}, when(s.createdAt)),
    );
  });
  return h(
    'table',
    { class: 'grid', id: 'stacks-table' },
    h('caption', { class: 'visually-hidden' }, 'Stacks matching the filters'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), ...['Learner', 'Lab', 'Course', 'Provider', 'State', 'State changed', 'Created'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows),
  );
}
