/** One stack: its state, outputs (the API never sends secret ones), history as a timeline, checks and grades. */
import { call, errorText } from './api.ts';
import { h, show, when } from './dom.ts';
import { ACTIONS, confirmAction, type Action } from './confirm-action.ts';
import type { CheckItem, GradeItem, StackEventItem, StackItem } from './types.ts';

interface StackPage {
  stack: StackItem;
  events: StackEventItem[];
  checks: CheckItem[];
  grades: GradeItem[];
}

function definitions(pairs: [string, Node | string][]): HTMLElement {
  return h('dl', { class: 'facts' }, ...pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function timeline(events: StackEventItem[]): HTMLElement {
  return h(
    'ol',
    { class: 'timeline', id: 'timeline', reversed: true },
    ...[...events].reverse().map((e) =>
      h(
        'li',
        { class: e.kind === 'staff_action' ? 'staff-action' : e.toState.endsWith('_FAILED') ? 'failed' : '' },
        h('time', { datetime: e.at }, when(e.at)),
        ' ',
        e.kind === 'staff_action' ? h('span', { class: 'transition' }, `staff action (in ${e.toState})`) : h('span', { class: 'transition' }, `${e.fromState ?? '—'} → ${e.toState}`),
        ' ',
        h('span', { class: 'reason' }, e.reason),
        ' ',
        h('span', { class: 'actor' }, `by ${e.actor}`),
      ),
    ),
  );
}

function checks(list: CheckItem[]): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, 'No progress check has run.');
  return h(
    'table',
    { class: 'grid' },
    h('thead', {}, h('tr', {}, ...['Started', 'Status', 'Passed', 'Score', 'By', 'Checks'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...list.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, when(c.startedAt)),
          h('td', {}, c.status, c.error ? h('span', { class: 'muted' }, ` ${c.error}`) : null),
          h('td', {}, c.total === null ? '–' : `${c.passed} / ${c.total}`),
          h('td', {}, c.score === null ? '–' : `${Math.round(c.score * 100)} %`),
          h('td', {}, c.actor),
          h('td', {}, c.results.map((r) => `${r.passed ? '✓' : r.timedOut ? '⏱' : '✗'} ${r.title}`).join(', ') || '–'),
        ),
      ),
    ),
  );
}

function grades(list: GradeItem[]): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, 'No grade was sent to the course (only LTI launches send grades).');
  return h('ul', {}, ...list.map((g) => h('li', {}, `${Math.round(g.score * 100)} % scored ${when(g.scoredAt)}: ${g.status}${g.sentAt ? ` ${when(g.sentAt)}` : ''}${g.lastError ? ` (${g.lastError})` : ''}`)));
}

function actions(id: string, main: HTMLElement): HTMLElement {
  const result = h('p', { class: 'status', role: 'status', id: 'stack-action-result' });
  const buttons = (Object.keys(ACTIONS) as Action[]).map((action) =>
    h('button', { type: 'button', class: action === 'delete' || action === 'reset' ? 'danger' : '', onclick: () => void confirmAction(action, [id], result).then(() => showStack(main, id, result.textContent ?? '')) }, ACTIONS[action]),
  );
  return h('div', { class: 'bulk', role: 'group', 'aria-label': 'Actions on this stack' }, ...buttons, result);
}

export async function showStack(main: HTMLElement, id: string, lastResult = ''): Promise<void> {
  let page: StackPage;
  try {
    page = await call<StackPage>(`/stacks/${encodeURIComponent(id)}`);
  } catch (error) {
    return show(main, h('p', {}, h('a', { href: '#/stacks' }, '← All stacks')), h('p', { class: 'error', role: 'alert' }, errorText(error)));
  }
  const s = page.stack;
  const bar = actions(s.id, main);
  const barResult = bar.querySelector('#stack-action-result');
  if (barResult) barResult.textContent = lastResult;
  const outputs = Object.entries(s.outputs);
  show(
    main,
    h('p', {}, h('a', { href: '#/stacks' }, '← All stacks')),
    h('h2', { id: 'stack-title' }, `${s.learner} · ${s.lab}`),
    bar,
    definitions([
      ['State', h('span', { class: `state state-${s.state}`, id: 'stack-state' }, s.state)],
      ['Course (context)', s.context],
      ['Provider', s.provider ?? '–'],
      ['Stack id', h('code', {}, s.id)],
      ['Address', s.publicIp ?? '–'],
      ['Last activity', when(s.lastActivityAt)],
      ['Created', when(s.createdAt)],
      ...(s.error ? ([['Error', `${s.errorCode ?? ''} ${s.error}`]] as [string, string][]) : []),
    ]),
    h('h3', {}, 'Outputs'),
    outputs.length ? definitions(outputs.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) : h('p', { class: 'muted' }, 'No output (secret outputs are never shown).'),
    h('h3', {}, 'History'),
    timeline(page.events),
    h('h3', {}, 'Progress checks'),
    checks(page.checks),
    h('h3', {}, 'Grades'),
    grades(page.grades),
  );
}
