/** The header's live counts, from the server's event stream (/console/api/live): no reload, no polling here. */
import type { LiveCounts } from './types.ts';

const LABELS: [keyof Omit<LiveCounts, 'byState'>, string][] = [
  ['running', 'running'],
  ['suspended', 'suspended'],
  ['launching', 'launching'],
  ['failed', 'failed'],
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
        item.textContent = `${counts[key]} ${label}`;
        return item;
      }),
    );
    output.title = Object.entries(counts.byState)
      .map(([state, n]) => `${state}: ${n}`)
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
