/** Providers (health, capacity, recent failures by code) and labs (loaded, and which failed and why). */
import { list, number, t } from '../i18n.ts';
import { call, errorText } from './api.ts';
import { data, h, show, when } from './dom.ts';
import type { Overview } from './types.ts';

const COLUMNS = ['console.colProvider', 'console.colKind', 'console.colHealth', 'console.colUsed', 'console.colLeft', 'console.colFailures'];

export async function showOverview(main: HTMLElement): Promise<void> {
  let overview: Overview;
  try {
    overview = await call<Overview>('/overview');
  } catch (error) {
    return show(main, h('p', { class: 'error', role: 'alert' }, errorText(error)));
  }
  const providers = h(
    'table',
    { class: 'grid', id: 'providers-table' },
    h('caption', {}, t('console.providersCaption')),
    h('thead', {}, h('tr', {}, ...COLUMNS.map((key) => h('th', { scope: 'col' }, t(key))))),
    h(
      'tbody',
      {},
      ...overview.providers.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row', translate: 'no' }, p.name),
          h('td', { translate: 'no' }, p.kind),
          h('td', {}, h('span', { class: `health health-${p.health}` }, t('console.health', { health: p.health }))),
          h('td', { translate: 'no' }, number(p.used)),
          h('td', {}, p.left === null ? t('console.unlimited') : t('console.leftOf', { left: p.left, capacity: p.capacity ?? 0 })),
          h('td', {}, p.failures.length ? h('ul', { class: 'plain' }, ...p.failures.map((f) => h('li', {}, data(f.code, 'code'), ' ', t('console.failureCount', { count: f.count, last: when(f.last) })))) : t('console.none')),
        ),
      ),
    ),
  );
  const loaded = h(
    'ul',
    { id: 'labs-loaded' },
    ...overview.labs.loaded.map((lab) => h('li', {}, h('strong', { translate: 'no' }, lab.title), ' ', t('console.labLoaded', { id: lab.id, protocol: lab.protocol, providers: lab.providers.length ? list(lab.providers) : t('console.noProvider') }))),
  );
  const failed = overview.labs.failed.length
    ? h('ul', { id: 'labs-failed' }, ...overview.labs.failed.map((f) => h('li', {}, data(f.file, 'code'), ' ', t(f.waitingForProvider ? 'console.labWaiting' : 'console.labFailed', { reason: f.reason }))))
    : h('p', { id: 'labs-failed' }, t('console.allLabsLoaded'));
  show(
    main,
    h('h2', {}, t('console.providers')),
    overview.providers.length ? h('div', { class: 'table-holder' }, providers) : h('p', { class: 'error' }, t('console.noProviders')),
    h('h2', {}, t('console.labsLoaded', { count: overview.labs.loaded.length })),
    loaded,
    h('h2', {}, t('console.labsNotLoaded', { count: overview.labs.failed.length })),
    failed,
  );
}
