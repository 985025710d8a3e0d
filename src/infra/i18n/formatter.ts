/**
 * Formats catalogue messages (ICU MessageFormat, by FormatJS's intl-messageformat) for one locale. Shared
 * by the server (pages it renders) and the browser (web/i18n.ts), so both format alike. A key missing from
 * a catalogue falls back to the English message; a message that cannot be formatted shows its key, which a
 * test would notice, rather than breaking the page.
 */
import IntlMessageFormat from 'intl-messageformat';
import { isPseudoLocale, pseudoAst, pseudoWrap } from './pseudo.ts';

export type Messages = Record<string, string>;
export type MessageValues = Record<string, string | number | Date>;
export type Translate = (key: string, values?: MessageValues) => string;

/** The locale Intl formats numbers, dates and plurals in: a pseudo-locale formats like its base language. */
export function intlLocale(locale: string): string {
  return locale === 'en-XA' ? 'en' : locale === 'ar-XB' ? 'ar' : locale;
}

export function createTranslator(locale: string, messages: Messages, fallback: Messages = {}): Translate {
  const pseudo = isPseudoLocale(locale);
  const cache = new Map<string, IntlMessageFormat>();
  const compiled = (key: string): IntlMessageFormat | undefined => {
    let format = cache.get(key);
    if (format) return format;
    const source = messages[key] ?? fallback[key];
    if (source === undefined) return undefined;
    const target = intlLocale(locale);
    format = new IntlMessageFormat(source, target);
    if (pseudo) format = new IntlMessageFormat(pseudoAst(format.getAst()), target);
    cache.set(key, format);
    return format;
  };
  return (key, values) => {
    const format = compiled(key);
    if (!format) return key;
    try {
      const text = String(format.format(values));
      return pseudo ? pseudoWrap(text) : text;
    } catch {
      return key;
    }
  };
}

/**
 * `1:05` or `1:02:03`, with the locale's digits (Arabic-Indic in Arabic, for instance). `withHours` writes
 * `0:01:05`, for columns where `1:05` could be read as an hour and five minutes.
 */
export function formatDuration(ms: number, locale: string, withHours = false): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const plain = new Intl.NumberFormat(intlLocale(locale), { useGrouping: false });
  const two = new Intl.NumberFormat(intlLocale(locale), { minimumIntegerDigits: 2, useGrouping: false });
  return h > 0 || withHours ? `${plain.format(h)}:${two.format(m)}:${two.format(s)}` : `${plain.format(m)}:${two.format(s)}`;
}
