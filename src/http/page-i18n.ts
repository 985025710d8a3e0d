/**
 * What every page stacklab renders needs for its language (docs/i18n.md): the messages its script formats,
 * embedded as JSON data (the CSP allows no inline script, and data is not script), and messages whose
 * arguments are markup the page fills in or marks as not to translate.
 */
import { pageMessages } from '../infra/i18n/catalogues.ts';
import type { Translate } from '../infra/i18n/formatter.ts';
import { escapeHtml } from './routes/learner-page.ts';

/** `<script type="application/json" id="i18n-messages">` for web/i18n.ts: the page's locale and the messages under `prefixes`. */
export function messagesScript(locale: string, prefixes: string[]): string {
  // Inside <script>, no "</script>" or "<!--" may end the block early.
  const json = JSON.stringify({ locale, messages: pageMessages(locale, prefixes) }).replace(/</g, '\\u003c');
  return `<script type="application/json" id="i18n-messages">${json}</script>`;
}

/** A message with one argument replaced by markup (an element the page script fills, or a code word). */
export function withMarkup(t: Translate, key: string, name: string, markup: string): string {
  const slot = '\u0000';
  return escapeHtml(t(key, { [name]: slot })).replace(slot, markup);
}
