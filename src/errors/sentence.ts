/**
 * A sentence for a person, named by its key in the message catalogues (locales/<locale>.json) with the
 * values it formats, instead of English text. Errors carry one so each place that shows them (an API
 * answer, an LTI page, the lab page) can say it in the reader's language; `inEnglish` gives the source
 * text for logs, tests and clients that ask for no language. A key that is not in en.json does not
 * compile, and test/unit/learner-sentences.test.ts fails when a thrower writes English of its own.
 */
import IntlMessageFormat from 'intl-messageformat';
import english from '../../locales/en.json' with { type: 'json' };

export type SentenceKey = keyof typeof english;
export type SentenceValues = Record<string, string | number>;

export interface Sentence {
  readonly key: SentenceKey;
  readonly values?: SentenceValues;
}

export function sentence(key: SentenceKey, values?: SentenceValues): Sentence {
  return values ? { key, values } : { key };
}

export function isSentence(value: unknown): value is Sentence {
  return typeof value === 'object' && value !== null && typeof (value as Sentence).key === 'string' && (value as Sentence).key in english;
}

/** The English text (en.json is the source every catalogue is checked against). */
export function inEnglish(said: Sentence): string {
  return String(new IntlMessageFormat(english[said.key], 'en').format(said.values));
}
