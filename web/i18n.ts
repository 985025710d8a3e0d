/**
 * The page's language: the locale and messages the server embedded in the page (learner-page.ts), formatted
 * with the same ICU MessageFormat code the server uses. `t('lab.tryAgain')` anywhere in web/.
 */
import { createTranslator, formatDuration, intlLocale, type Messages, type MessageValues } from '../src/infra/i18n/formatter.ts';

function embedded(): { locale: string; messages: Messages } {
  const text = document.getElementById('i18n-messages')?.textContent;
  if (!text) return { locale: document.documentElement.lang || 'en', messages: {} };
  return JSON.parse(text) as { locale: string; messages: Messages };
}

const { locale, messages } = embedded();
const translate = createTranslator(locale, messages);

export const pageLocale = locale;

export function t(key: string, values?: MessageValues): string {
  return translate(key, values);
}

/**
 * A message with some arguments as elements (a `<code>`, a name marked translate="no"): the text around
 * them stays the translation's, in its order.
 */
export function tNodes(key: string, values: MessageValues, nodes: Record<string, Node>): (Node | string)[] {
  const names = Object.keys(nodes);
  // Private-use characters stand for the nodes; a translation cannot contain them.
  const slots = Object.fromEntries(names.map((name, i) => [name, String.fromCharCode(0xe000 + i)]));
  const text = translate(key, { ...values, ...slots });
  return text
    .split(/([\ue000-\ue0ff])/)
    .filter(Boolean)
    .map((part) => {
      const index = part.charCodeAt(0) - 0xe000;
      return part.length === 1 && index >= 0 && index < names.length ? nodes[names[index]] : part;
    });
}

export function duration(ms: number, withHours = false): string {
  return formatDuration(ms, locale, withHours);
}

/** A date and time from the server (ISO string or Date) the locale's way; `–` when there is none. */
export function dateTime(value: string | Date | null | undefined, style: Intl.DateTimeFormatOptions = { dateStyle: 'short', timeStyle: 'medium' }): string {
  if (!value) return '–';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '–' : new Intl.DateTimeFormat(intlLocale(locale), style).format(date);
}

/** A fraction (0.67) as a percentage the locale's way (67 %, 67%, ٪٦٧). */
export function percent(fraction: number): string {
  return new Intl.NumberFormat(intlLocale(locale), { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}

export function number(value: number): string {
  return new Intl.NumberFormat(intlLocale(locale)).format(value);
}

/** `a, b and c` the locale's way. */
export function list(items: string[]): string {
  return new Intl.ListFormat(intlLocale(locale), { type: 'conjunction' }).format(items);
}
