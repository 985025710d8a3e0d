/**
 * The history's reasons (src/infra/i18n/history-reasons.ts) and the catalogues agree: every `history.*`
 * message is a listed reason with the same arguments of the same kinds, so a reason the store writes
 * always formats, in every language a console or class page can be shown in.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import IntlMessageFormat from 'intl-messageformat';
import { actionFailed, budgetExtended, reason, REASONS, reasonText, reportedOr } from '../../src/infra/i18n/history-reasons.ts';
import { catalogue, translator } from '../../src/infra/i18n/catalogues.ts';
import { ALL_LOCALES, SOURCE_LOCALE } from '../../src/infra/i18n/locale-info.ts';
import { CLOSE_MARK, isPseudoLocale, OPEN_MARK } from '../../src/infra/i18n/pseudo.ts';
import { SAMPLE_VALUES } from '../support/i18n-sample.ts';

type Ast = ReturnType<IntlMessageFormat['getAst']>;
// As in i18n-catalogues.test.ts: 1 plain, 2 number, 3 date, 4 time, 5 select, 6 plural.
const KIND: Record<number, string> = { 1: 'text', 2: 'number', 3: 'date', 4: 'date', 5: 'text', 6: 'number' };

function argumentsOf(ast: Ast, found: Record<string, string> = {}): Record<string, string> {
  for (const element of ast) {
    if (KIND[element.type] && 'value' in element) found[element.value] = KIND[element.type]!;
    if ('options' in element) for (const option of Object.values(element.options as Record<string, { value: Ast }>)) argumentsOf(option.value, found);
  }
  return found;
}

const english = catalogue(SOURCE_LOCALE);

describe('history reasons', () => {
  test('every history.* message is a listed reason, and each lists the arguments its English message takes', () => {
    const inCatalogue = Object.keys(english).filter((key) => key.startsWith('history.')).sort();
    assert.deepEqual(inCatalogue, Object.keys(REASONS).sort());
    for (const [key, kinds] of Object.entries(REASONS)) {
      assert.deepEqual(argumentsOf(new IntlMessageFormat(english[key]!, 'en').getAst()), kinds, key);
    }
  });

  test('every reason formats in every language a page can be shown in, translated, marked in the pseudo-locales', () => {
    for (const locale of ALL_LOCALES) {
      const t = translator(locale);
      for (const key of Object.keys(REASONS)) {
        const text = t(key, SAMPLE_VALUES);
        assert.notEqual(text, key, `${locale} ${key} does not format`);
        if (isPseudoLocale(locale)) assert.ok(text.startsWith(OPEN_MARK) && text.endsWith(CLOSE_MARK), `${locale} ${key}: ${text}`);
        else if (locale !== SOURCE_LOCALE && key !== 'history.asReported') assert.notEqual(text, translator(SOURCE_LOCALE)(key, SAMPLE_VALUES), `${locale} ${key} is English`);
      }
    }
  });

  test('the English text is what the history said before the keys (the CLI, logs and tests read it)', () => {
    assert.equal(reasonText(budgetExtended(3600, 'from the class view')), 'added 1 h of lab time to the budget (from the class view)');
    assert.equal(reasonText(budgetExtended(1200 + 3600 * 2 + 5, '')), 'added 2 h 20 min 5 s of lab time to the budget');
    assert.equal(reasonText(reason('history.resetAway', { providers: 'east', code: 'PROVIDER_FULL' })), "reset requested: starting fresh away from provider 'east' (PROVIDER_FULL)");
    assert.equal(reasonText(reason('history.poolDropped', { why: 'stale' })), "dropped from the warm pool: the lab's template changed");
    assert.equal(reasonText(actionFailed('unshelve', 'ERROR state')), 'unshelve failed: ERROR state');
    assert.equal(reasonText(reportedOr(undefined, 'delete')), 'delete failed');
    assert.equal(reasonText(reportedOr('Stack DELETE failed', 'delete')), 'Stack DELETE failed');
  });

  test('the German console says a budget extension with its own units', () => {
    assert.equal(translator('de')('history.budgetExtendedNote', { hours: 1, minutes: 30, seconds: 0, note: 'retake' }), '1 Std. 30 Min. Laborzeit zum Budget hinzugefügt (retake)');
  });
});
