/**
 * The pseudo-locale check for pages the server renders, without a browser (the Chromium tests in
 * test/e2e/support/i18n-checks.ts do it on the live page): the text a reader sees, and what of it stands
 * outside the catalogue's ⟦ ⟧ marks.
 */
import { CLOSE_MARK, OPEN_MARK } from '../../src/infra/i18n/pseudo.ts';

/** The page's visible text, less what is data (translate="no"), its style sheet and scripts, with entities decoded. */
export function wordsOf(html: string): string {
  return html
    .replace(/<(style|script)\b[^>]*>[^]*?<\/\1>/g, '')
    .replace(/<(\w+)\b[^>]*\btranslate="no"[^>]*>[^]*?<\/\1>/g, '')
    .replace(/<!doctype html>/i, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Text outside the pseudo-locale's marks (a message may hold another: a series name in a bar's title). */
export function outsideMarks(text: string): string[] {
  const found: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === OPEN_MARK) depth++;
    else if (ch === CLOSE_MARK) depth--;
    else if (depth === 0) current += ch;
    if (depth > 0 && current.trim()) found.push(current.trim());
    if (depth > 0) current = '';
  }
  if (current.trim()) found.push(current.trim());
  return found;
}

/** Attribute values a reader sees or hears (title, aria-label, placeholder, alt) that carry no mark. */
export function unmarkedLabels(html: string): string[] {
  return [...wordsFreeHtml(html).matchAll(/\b(title|aria-label|placeholder|alt)="([^"]*)"/g)].map((m) => m[2]).filter((value) => value.trim() && !value.includes(OPEN_MARK));
}

function wordsFreeHtml(html: string): string {
  return html.replace(/<(style|script)\b[^>]*>[^]*?<\/\1>/g, '').replace(/<(\w+)\b[^>]*\btranslate="no"[^>]*>[^]*?<\/\1>/g, '');
}
