/**
 * Every shipped catalogue (locales/<locale>.json) has exactly the English keys, and every message parses
 * as ICU MessageFormat with the same arguments as the English one, so no translation can break a page or
 * lose a value. A message with a syntax error, a renamed argument or a missing key fails here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import IntlMessageFormat from 'intl-messageformat';
import { API_ERRORS } from '../../src/errors/api-errors.ts';
import { catalogue, LOCALES_DIR, translator } from '../../src/infra/i18n/catalogues.ts';
import { createTranslator, intlLocale } from '../../src/infra/i18n/formatter.ts';
import { SHIPPED_LOCALES, SOURCE_LOCALE } from '../../src/infra/i18n/locale-info.ts';
import { SAMPLE_VALUES } from '../support/i18n-sample.ts';

type Ast = ReturnType<IntlMessageFormat['getAst']>;

/**
 * Argument names a message uses, with the kind of value each needs: a number (number, plural), a date
 * (date, time) or text (plain, select). A translation may use `{n, plural}` where English has `{n, number}`.
 */
const KIND: Record<number, string> = { 1: 'text', 2: 'number', 3: 'date', 4: 'date', 5: 'text', 6: 'number' };

function argumentsOf(ast: Ast, found = new Map<string, string>()): Map<string, string> {
  for (const element of ast) {
    // 0 = literal, 7 = pound (#), 8 = rich-text tag: no argument of their own.
    if (KIND[element.type] && 'value' in element) found.set(element.value, KIND[element.type]);
    if ('options' in element) for (const option of Object.values(element.options as Record<string, { value: Ast }>)) argumentsOf(option.value, found);
    if ('children' in element) argumentsOf(element.children as Ast, found);
  }
  return found;
}

const english = catalogue(SOURCE_LOCALE);


describe('message catalogues', () => {
  test('one catalogue file per shipped locale, and nothing else', () => {
    const files = readdirSync(LOCALES_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    assert.deepEqual(files, [...SHIPPED_LOCALES].sort());
  });

  for (const locale of SHIPPED_LOCALES) {
    test(`${locale}: the same keys as English, each message parses with the same arguments and formats`, () => {
      const messages = catalogue(locale);
      assert.deepEqual(Object.keys(messages).sort(), Object.keys(english).sort(), `${locale}.json must have exactly the keys of en.json`);
      const t = createTranslator(locale, messages);
      for (const [key, source] of Object.entries(english)) {
        const expected = argumentsOf(new IntlMessageFormat(source, 'en').getAst());
        let parsed: IntlMessageFormat;
        try {
          parsed = new IntlMessageFormat(messages[key], intlLocale(locale));
        } catch (error) {
          assert.fail(`${locale} ${key}: not valid ICU MessageFormat: ${(error as Error).message}`);
        }
        assert.deepEqual(Object.fromEntries(argumentsOf(parsed.getAst())), Object.fromEntries(expected), `${locale} ${key}: arguments differ from English`);
        const text = t(key, SAMPLE_VALUES);
        assert.notEqual(text, key, `${locale} ${key} did not format`);
        assert.ok(text.trim().length > 0, `${locale} ${key} is empty`);
      }
    });
  }

  test('a translation is not left in English by mistake (apart from names that stay the same)', () => {
    const same = new Set(['page.title', 'page.server', 'badge.failed', 'lab.elapsedBadge', 'lti.busy', 'demo.labs', 'demo.kind',
      // "Stacks", "Lab", "Status", "Score", "Actions", "Error" are words these languages share with English.
      'console.navStacks', 'console.stacks', 'console.errorWithDetail', 'console.stateCount', 'console.filterLab', 'console.colLab', 'class.colLab', 'console.colStatus', 'console.colScore', 'console.factError', 'class.colActions', 'report.colLab',
      // Only arguments and punctuation; "minute(s)" is French too.
      'report.barTitle', 'class.amountMinutes',
      // A provider's own words, shown as they came (src/infra/i18n/history-reasons.ts); a failure made a sentence.
      'history.asReported', 'lab.failureSentence']);
    for (const locale of SHIPPED_LOCALES.filter((l) => l !== SOURCE_LOCALE)) {
      const messages = catalogue(locale);
      const untranslated = Object.keys(english).filter((key) => !same.has(key) && messages[key] === english[key]);
      assert.deepEqual(untranslated, [], `${locale}: untranslated messages`);
    }
  });

  test('every API error has its sentence in the catalogue, and the English one is the API_ERRORS sentence', () => {
    for (const [code, { message }] of Object.entries(API_ERRORS)) assert.equal(translator('en')(`error.${code}`), message, code);
    // `error.<CODE>` is the code's own sentence, `error.<CODE>.<what>` a more precise one a thrower names.
    const extra = Object.keys(english).filter((key) => key.startsWith('error.') && !(key.split('.')[1] in API_ERRORS));
    assert.deepEqual(extra, [], 'catalogue sentences for errors that no longer exist');
  });
});
