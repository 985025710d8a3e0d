/**
 * The message catalogues, locales/<locale>.json, read once at start. The browser gets the messages it
 * needs embedded in the page it is served (learner-page.ts), so it never loads a catalogue itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTALL_ROOT } from '../install-root.ts';
import { createTranslator, type Messages, type Translate } from './formatter.ts';
import { SHIPPED_LOCALES, SOURCE_LOCALE } from './locale-info.ts';

export const LOCALES_DIR = join(INSTALL_ROOT, 'locales');

const loaded = new Map<string, Messages>();

export function catalogue(locale: string): Messages {
  let messages = loaded.get(locale);
  if (!messages) {
    const file = (SHIPPED_LOCALES as readonly string[]).includes(locale) ? locale : SOURCE_LOCALE;
    messages = JSON.parse(readFileSync(join(LOCALES_DIR, `${file}.json`), 'utf8')) as Messages;
    loaded.set(locale, messages);
  }
  return messages;
}

/** The messages for a page: a pseudo-locale gets the English source, which the formatter pseudo-localises. */
export function pageMessages(locale: string, prefixes: string[]): Messages {
  const source = catalogue(locale);
  const english = catalogue(SOURCE_LOCALE);
  return Object.fromEntries(Object.keys(english).filter((key) => prefixes.some((p) => key.startsWith(p))).map((key) => [key, source[key] ?? english[key]]));
}

const translators = new Map<string, Translate>();

export function translator(locale: string): Translate {
  let t = translators.get(locale);
  if (!t) {
    t = createTranslator(locale, catalogue(locale), catalogue(SOURCE_LOCALE));
    translators.set(locale, t);
  }
  return t;
}
