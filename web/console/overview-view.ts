/** Providers (health, capacity, recent failures by code) and labs (loaded, and which failed and why). */
import { call, errorText } from './api.ts';
import { h, show, when } from './dom.ts';
import type { Overview } from './types.ts';

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
    h('caption', {}, 'Providers: health over the last hour, places used and left, failures in the last 24 hours'),
    h('thead', {}, h('tr', {}, ...['Provider', 'Kind', 'Health', 'Used', 'Left', 'Recent failures'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...overview.providers.map((p) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, p.name),
          h('td', {}, p.kind),
          h('td', {}, h('span', { class: `health health-${p.health}` }, p.health)),
          h('td', {}, p.used),
          h('td', {}, p.left === null ? 'unlimited' : `${p.left} of ${p.capacity}`),
          h('td', {}, p.failures.length ? h('ul', { class: 'plain' }, ...p.failures.map((f) => h('li', {}, h('code', {}, f.code), ` × ${f.count} (last ${when(f.last)})`))) : 'none'),
        ),
      ),
    ),
  );
  const loaded = h(
    'ul',
    { id: 'labs-loaded' },
    ...overview.labs.loaded.map((lab) => h('li', {}, h('strong', {}, lab.title), ` (${lab.id}, ${lab.protocol}, on ${lab.providers.join(', ') || 'no provider'})`)),
  );
  const failed = overview.labs.failed.length
    ? h('ul', { id: 'labs-failed' }, ...overview.labs.failed.map((f) => h('li', {}, h('code', {}, f.file), f.waitingForProvider ? ' waits for a provider: ' : ' did not load: ', f.reason)))
    : h('p', { id: 'labs-failed' }, 'Every lab loaded.');
  show(
    main,
    h('h2', {}, 'Providers'),
    overview.providers.length ? providers : h('p', { class: 'error' }, 'No provider is configured: no lab can launch.'),
    h('h2', {}, `Labs loaded (${overview.labs.loaded.length})`),
    loaded,
    h('h2', {}, `Labs not loaded (${overview.labs.failed.length})`),
    failed,
  );
}
