/**
 * The stack list: filters (learner prefix, lab, course, provider, state), sort, pages from the server
 * (keyset cursors, so "Next" is as fast on page 500 as on page 1), selection and bulk actions behind a
 * confirmation that names how many stacks it acts on.
 */
import { t } from '../i18n.ts';
import { call, errorText } from './api.ts';
import { h, show, when } from './dom.ts';
import type { StackItem } from './types.ts';
import { ACTIONS, actionLabel, confirmAction, type Action } from './confirm-action.ts';

/** The state filter's choices: the states it asks for, and the catalogue key of its label. */
const STATE_GROUPS: Record<string, string> = {
  '': 'console.stateAny',
  READY: 'console.stateRunning',
  'SUSPENDED,SHELVED': 'console.stateSuspended',
  'LAUNCH_PENDING,CREATING': 'console.stateLaunching',
  'LAUNCH_FAILED,SUSPEND_FAILED,RESUME_FAILED,DELETE_FAILED,SHELVE_FAILED,UNSHELVE_FAILED': 'console.stateFailed',
  'SUSPEND_PENDING,SUSPENDING,RESUME_PENDING,RESUMING,SHELVE_PENDING,SHELVING,UNSHELVE_PENDING,UNSHELVING': 'console.stateMoving',
  'DELETE_PENDING,DELETING': 'console.stateDeleting',
  DELETED: 'console.stateDeleted',
};

const COLUMNS = ['console.colLearner', 'console.colLab', 'console.colCourse', 'console.colProvider', 'console.colState', 'console.colStateChanged', 'console.colCreated'];

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

/** `options`: each value with the catalogue key of its label. */
function select(name: keyof Query, options: Record<string, string>): HTMLSelectElement {
  const el = h('select', { name }, ...Object.entries(options).map(([value, key]) => h('option', { value }, t(key))));
  el.value = query[name];
  return el;
}

function input(name: keyof Query, placeholderKey: string): HTMLInputElement {
  const el = h('input', { name, placeholder: t(placeholderKey), autocomplete: 'off', spellcheck: 'false' });
  el.value = query[name];
  return el;
}

export async function showStacks(main: HTMLElement): Promise<void> {
  const status = h('p', { class: 'status', role: 'status', id: 'list-status' });
  const tableHolder = h('div', { class: 'table-holder' });
  const pager = h('div', { class: 'pager' });
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': t('console.filters') },
    field('f-q', t('console.filterLearner'), input('q', 'console.placeholderLearner')),
    field('f-lab', t('console.filterLab'), input('lab', 'console.placeholderLab')),
    field('f-context', t('console.filterContext'), input('context', 'console.placeholderContext')),
    field('f-provider', t('console.filterProvider'), input('provider', 'console.placeholderProvider')),
    field('f-state', t('console.filterState'), select('state', STATE_GROUPS)),
    field('f-sort', t('console.sortBy'), select('sort', { created: 'console.sortCreated', changed: 'console.sortChanged', learner: 'console.sortLearner' })),
    field('f-order', t('console.order'), select('order', { desc: 'console.orderDesc', asc: 'console.orderAsc' })),
    h('button', { type: 'submit' }, t('console.search')),
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
  const actionSelect = h('select', { id: 'bulk-action', 'aria-label': t('console.bulkAction') }, ...ACTIONS.map((action) => h('option', { value: action }, actionLabel(action))));
  const applyButton = h('button', { type: 'button', id: 'bulk-apply', disabled: true }, t('console.applySelected', { count: 0 }));
  const bulkResult = h('p', { class: 'status', role: 'status', id: 'bulk-result' });
  const bulkBar = h('div', { class: 'bulk' }, actionSelect, applyButton, bulkResult);
  const refreshSelection = () => {
    applyButton.disabled = selected.size === 0;
    applyButton.textContent = t('console.applySelected', { count: selected.size });
  };
  applyButton.addEventListener('click', () => void confirmAction(actionSelect.value as Action, [...selected], bulkResult).then(() => load(currentPage)));

  async function load(pageIndex: number): Promise<void> {
    status.textContent = t('console.loading');
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
    status.textContent = page.stacks.length ? t(page.next ? 'console.listPage' : 'console.listLastPage', { page: pageIndex + 1, count: page.stacks.length }) : t('console.noMatch');
    tableHolder.replaceChildren(table(page.stacks, selected, refreshSelection));
    const previous = h('button', { type: 'button', disabled: pageIndex === 0, onclick: () => void load(pageIndex - 1) }, t('console.previousPage'));
    const next = h('button', { type: 'button', id: 'next-page', disabled: !page.next, onclick: () => void load(pageIndex + 1) }, t('console.nextPage'));
    pager.replaceChildren(previous, next);
  }

  show(main, h('h2', {}, t('console.stacks')), form, bulkBar, status, tableHolder, pager);
  await load(currentPage);
}

function table(stacks: StackItem[], selected: Set<string>, changed: () => void): HTMLElement {
  const boxes: HTMLInputElement[] = [];
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': t('console.selectAll') });
  all.addEventListener('change', () => {
    for (const box of boxes) {
      box.checked = all.checked;
      if (all.checked) selected.add(box.value);
      else selected.delete(box.value);
    }
    changed();
  });
  const rows = stacks.map((s) => {
    const box = h('input', { type: 'checkbox', value: s.id, 'aria-label': t('console.selectStack', { learner: s.learner, lab: s.lab }) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(s.id);
      else selected.delete(s.id);
      changed();
    });
    boxes.push(box);
    return h(
      'tr',
      // Everything in a row but its checkbox is data: names, ids, state codes and dates.
      { 'data-stack': s.id, translate: 'no' },
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
    h('caption', { class: 'visually-hidden' }, t('console.stacksCaption')),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), ...COLUMNS.map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, ...rows),
  );
}
