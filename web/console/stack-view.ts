/** One stack: its state, outputs (the API never sends secret ones), history as a timeline, checks and grades. */
import { number, percent, t } from '../i18n.ts';
import { call, errorText } from './api.ts';
import { data, h, show, when } from './dom.ts';
import { ACTIONS, actionLabel, confirmAction } from './confirm-action.ts';
import type { CheckItem, GradeItem, StackEventItem, StackItem } from './types.ts';

interface StackPage {
  stack: StackItem;
  events: StackEventItem[];
  checks: CheckItem[];
  grades: GradeItem[];
}

function definitions(pairs: [string, Node | string][], attrs: Record<string, string> = {}): HTMLElement {
  return h('dl', { class: 'facts', ...attrs }, ...pairs.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function timeline(events: StackEventItem[]): HTMLElement {
  return h(
    'ol',
    { class: 'timeline', id: 'timeline', reversed: true },
    ...[...events].reverse().map((e) =>
      h(
        'li',
        { class: e.kind === 'staff_action' ? 'staff-action' : e.toState.endsWith('_FAILED') ? 'failed' : '' },
        h('time', { datetime: e.at, translate: 'no' }, when(e.at)),
        ' ',
        e.kind === 'staff_action'
          ? h('span', { class: 'transition' }, t('console.staffAction', { state: e.toState }))
          : // State codes read left to right whatever the page's direction.
            h('span', { class: 'transition', translate: 'no', dir: 'ltr' }, `${e.fromState ?? '—'} → ${e.toState}`),
        ' ',
        // The reason in the page's language from its catalogue key; an entry older than the keys (migration 017) as stored.
        e.reasonKey ? h('span', { class: 'reason' }, t(e.reasonKey, e.reasonValues ?? {})) : h('span', { class: 'reason', translate: 'no' }, e.reason),
        ' ',
        h('span', { class: 'actor' }, t('console.by', { actor: e.actor })),
      ),
    ),
  );
}

const CHECK_COLUMNS = ['console.colStarted', 'console.colStatus', 'console.colPassed', 'console.colScore', 'console.colBy', 'console.colChecks'];

function checks(list: CheckItem[]): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, t('console.noChecks'));
  const table = h(
    'table',
    { class: 'grid' },
    h('thead', {}, h('tr', {}, ...CHECK_COLUMNS.map((key) => h('th', { scope: 'col' }, t(key))))),
    h(
      'tbody',
      { translate: 'no' },
      ...list.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, when(c.startedAt)),
          h('td', {}, c.status, c.error ? h('span', { class: 'muted' }, ` ${c.error}`) : null),
          h('td', {}, c.total === null ? '–' : `${number(c.passed ?? 0)} / ${number(c.total)}`),
          h('td', {}, c.score === null ? '–' : percent(c.score)),
          h('td', {}, c.actor),
          h('td', {}, c.results.map((r) => `${r.passed ? '✓' : r.timedOut ? '⏱' : '✗'} ${r.title}`).join(', ') || '–'),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-holder' }, table);
}

function grades(list: GradeItem[]): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, t('console.noGrades'));
  return h(
    'ul',
    {},
    ...list.map((g) => h('li', {}, t('console.grade', { score: g.score, scoredAt: when(g.scoredAt), status: g.status }), g.sentAt ? data(` ${when(g.sentAt)}`) : null, g.lastError ? data(` (${g.lastError})`) : null)),
  );
}

function actions(id: string, main: HTMLElement): HTMLElement {
  const result = h('p', { class: 'status', role: 'status', id: 'stack-action-result' });
  const buttons = ACTIONS.map((action) =>
    h('button', { type: 'button', class: action === 'delete' || action === 'reset' ? 'danger' : '', onclick: () => void confirmAction(action, [id], result).then(() => showStack(main, id, result.textContent ?? '')) }, actionLabel(action)),
  );
  return h('div', { class: 'bulk', role: 'group', 'aria-label': t('console.stackActions') }, ...buttons, result);
}

export async function showStack(main: HTMLElement, id: string, lastResult = ''): Promise<void> {
  let page: StackPage;
  try {
    page = await call<StackPage>(`/stacks/${encodeURIComponent(id)}`);
  } catch (error) {
    return show(main, h('p', {}, h('a', { href: '#/stacks' }, t('console.allStacks'))), h('p', { class: 'error', role: 'alert' }, errorText(error)));
  }
  const s = page.stack;
  const bar = actions(s.id, main);
  const barResult = bar.querySelector('#stack-action-result');
  if (barResult) barResult.textContent = lastResult;
  const outputs = Object.entries(s.outputs);
  show(
    main,
    h('p', {}, h('a', { href: '#/stacks' }, t('console.allStacks'))),
    h('h2', { id: 'stack-title', translate: 'no' }, `${s.learner} · ${s.lab}`),
    bar,
    definitions([
      [t('console.factState'), h('span', { class: `state state-${s.state}`, id: 'stack-state', translate: 'no' }, s.state)],
      [t('console.factCourse'), data(s.context)],
      [t('console.factProvider'), data(s.provider ?? '–')],
      [t('console.factId'), data(s.id, 'code')],
      [t('console.factAddress'), data(s.publicIp ?? '–')],
      [t('console.factActivity'), data(when(s.lastActivityAt))],
      [t('console.factCreated'), data(when(s.createdAt))],
      ...(s.error ? ([[t('console.factError'), data(`${s.errorCode ?? ''} ${s.error}`)]] as [string, Node][]) : []),
    ]),
    h('h3', {}, t('console.outputs')),
    // Output names and values are the lab template's own.
    outputs.length ? definitions(outputs.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), { translate: 'no' }) : h('p', { class: 'muted' }, t('console.noOutputs')),
    h('h3', {}, t('console.history')),
    timeline(page.events),
    h('h3', {}, t('console.checks')),
    checks(page.checks),
    h('h3', {}, t('console.grades')),
    grades(page.grades),
  );
}
