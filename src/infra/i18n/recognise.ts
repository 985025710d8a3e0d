/**
 * Finds the catalogue sentence an English text was formatted from, with its values: for sentences that
 * were stored as text before anyone knew who would read them (a check run's error and hints are kept in
 * the database in English), so they can still be shown in the reader's language. Only messages made of
 * text and plain `{arguments}` can be recognised; a text that fits none (a lab author's own hint) is
 * left as it is.
 */
import IntlMessageFormat from 'intl-messageformat';
import { catalogue } from './catalogues.ts';
import { SOURCE_LOCALE } from './locale-info.ts';

export interface Recognised {
  key: string;
  values: Record<string, string>;
}

type Pattern = { key: string; regex: RegExp; names: string[] };

const patterns = new Map<string, Pattern[]>();

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The messages under `prefix` as anchored regular expressions, one capture per argument. */
function patternsFor(prefix: string): Pattern[] {
  let found = patterns.get(prefix);
  if (found) return found;
  found = [];
  for (const [key, source] of Object.entries(catalogue(SOURCE_LOCALE))) {
    if (!key.startsWith(prefix)) continue;
    const ast = new IntlMessageFormat(source, 'en').getAst();
    // 0 = literal, 1 = plain argument; anything else (plural, select, number) is not recognised.
    if (!ast.every((element) => element.type === 0 || element.type === 1)) continue;
    const names: string[] = [];
    const body = ast.map((element) => (element.type === 0 ? escapeRegex(element.value) : (names.push(element.value), '([\\s\\S]+?)'))).join('');
    found.push({ key, regex: new RegExp(`^${body}$`), names });
  }
  patterns.set(prefix, found);
  return found;
}

export function recognise(text: string, prefixes: string[]): Recognised | undefined {
  for (const prefix of prefixes) {
    for (const { key, regex, names } of patternsFor(prefix)) {
      const match = regex.exec(text);
      if (match) return { key, values: Object.fromEntries(names.map((name, i) => [name, match[i + 1]])) };
    }
  }
  return undefined;
}
