/** The header's live counts, from the server's event stream (/console/api/live): no reload, no polling here. */
import { t } from '../i18n.ts';
import type { LiveCounts } from './types.ts';

const LABELS: [keyof Omit<LiveCounts, 'byState'>, string][] = [
  ['running', 'console.countRunning'],
  ['suspended', 'console.countSuspended'],
  ['launching', 'console.countLaunching'],
  ['failed', 'console.countFailed'],
];

export function startLiveCounts(output: HTMLElement, signedOut: () => void): () => void {
  output.hidden = false;
  const source = new EventSource('/console/api/live');
  source.addEventListener('counts', (event) => {
    const counts = JSON.parse((event as MessageEvent<string>).data) as LiveCounts;
    output.replaceChildren(
      ...LABELS.map(([key, label]) => {
        const item = document.createElement('span');
        item.className = `count count-${key}`;
        item.dataset.count = key;
        item.textContent = t(label, { count: counts[key] });
        return item;
      }),
    );
    output.title = Object.entries(counts.byState)
      .map(([state, count]) => t('console.stateCount', { state, count }))
      .join('\n');
  });
  source.addEventListener('signed-out', () => {
    source.close();
    signedOut();
  });
  return () => {
    source.close();
    output.hidden = true;
    output.replaceChildren();
  };
}
