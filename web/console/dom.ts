/** A small element builder for the console's views: plain DOM, text always as text (never as HTML). */
import { dateTime } from '../i18n.ts';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(typeof child === 'number' ? String(child) : child);
  return el;
}

/** A date and time in the page's language. */
export function when(value: string | Date | null | undefined): string {
  return dateTime(value);
}

/**
 * Data from the server (names, ids, state codes, dates and numbers): shown as it is, so marked for no
 * translation, by the browser's translator or by the pseudo-locale test (docs/i18n.md).
 */
export function data(text: Child | Child[], tag: 'span' | 'code' = 'span'): HTMLElement {
  return h(tag, { translate: 'no' }, ...(Array.isArray(text) ? text : [text]));
}

/** Replaces the content of the main region and moves focus there, so a keyboard user lands on the new view. */
export function show(main: HTMLElement, ...content: Node[]): void {
  main.replaceChildren(...content);
  main.focus({ preventScroll: true });
}
