/** Choosing the learner's language, formatting per locale with Intl, and the test pseudo-locales. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTranslator, formatDuration } from '../../src/infra/i18n/formatter.ts';
import { textDirection } from '../../src/infra/i18n/locale-info.ts';
import { matchLocale, negotiateLocale, parseAcceptLanguage } from '../../src/infra/i18n/negotiate.ts';
import { CLOSE_MARK, OPEN_MARK } from '../../src/infra/i18n/pseudo.ts';

describe('locale negotiation', () => {
  test('the launch locale wins, then Accept-Language by preference, then the default', () => {
    assert.equal(negotiateLocale({ explicit: ['de-AT'], acceptLanguage: 'fr', fallback: 'en' }), 'de');
    assert.equal(negotiateLocale({ explicit: ['xx'], acceptLanguage: 'it;q=0.9, fr;q=0.8, es;q=0.85', fallback: 'en' }), 'es');
    assert.equal(negotiateLocale({ explicit: [undefined], acceptLanguage: 'it, ja', fallback: 'zh-CN' }), 'zh-CN');
    assert.equal(negotiateLocale({ explicit: [], acceptLanguage: undefined, fallback: 'de' }), 'de');
  });

  test('platform spellings and regional variants map to what we ship', () => {
    assert.equal(matchLocale('pt_BR'), 'pt-BR');
    assert.equal(matchLocale('pt-PT'), 'pt-BR');
    assert.equal(matchLocale('zh'), 'zh-CN');
    assert.equal(matchLocale('zh-Hans-CN'), 'zh-CN');
    assert.equal(matchLocale('zh-TW'), undefined, 'Traditional Chinese readers get the default, not Simplified');
    assert.equal(matchLocale('EN-us'), 'en');
    assert.equal(matchLocale('"><script>'), undefined);
  });

  test('pseudo-locales only when asked for by name, never from the browser', () => {
    assert.equal(negotiateLocale({ explicit: ['en-XA'], fallback: 'en' }), 'en-XA');
    assert.equal(negotiateLocale({ explicit: [], acceptLanguage: 'ar-XB', fallback: 'en' }), 'en');
  });

  test('Accept-Language: q=0 refused, * ignored, order kept among equals', () => {
    assert.deepEqual(parseAcceptLanguage('fr-CH, fr;q=0.9, en;q=0.8, de;q=0, *;q=0.5'), ['fr-CH', 'fr', 'en']);
    assert.deepEqual(parseAcceptLanguage('es, pt'), ['es', 'pt']);
  });

  test('right to left for Arabic and Hebrew and the ar-XB pseudo-locale', () => {
    assert.equal(textDirection('ar-XB'), 'rtl');
    assert.equal(textDirection('he'), 'rtl');
    assert.equal(textDirection('de'), 'ltr');
  });
});

describe('formatting per locale', () => {
  test('numbers, percentages, plurals and times follow the locale (Intl)', () => {
    const messages = { n: 'Score {score, number, percent}', p: '{n, plural, one {# check} other {# checks}}', at: 'at {when, time, short}', big: '{x, number}' };
    const when = new Date(Date.UTC(2026, 0, 5, 15, 7));
    const de = createTranslator('de', messages);
    const en = createTranslator('en', messages);
    assert.equal(de('big', { x: 12345.5 }), new Intl.NumberFormat('de').format(12345.5));
    assert.match(de('big', { x: 12345.5 }), /12\.345,5/);
    assert.match(en('big', { x: 12345.5 }), /12,345\.5/);
    assert.match(de('n', { score: 0.5 }), /50\s%/);
    assert.equal(en('p', { n: 1 }), '1 check');
    assert.equal(en('p', { n: 2 }), '2 checks');
    assert.equal(de('at', { when }), `at ${new Intl.DateTimeFormat('de', { timeStyle: 'short' }).format(when)}`);
    assert.notEqual(en('at', { when }), de('at', { when }), 'English and German write times differently');
  });

  test('durations use the locale digits', () => {
    assert.equal(formatDuration(65_000, 'en'), '1:05');
    assert.equal(formatDuration(3_723_000, 'de'), '1:02:03');
    // The class view's "time used" column always shows hours, so 1:05 is not read as an hour and five minutes.
    assert.equal(formatDuration(65_000, 'de', true), '0:01:05');
    const arabic = formatDuration(65_000, 'ar-EG');
    assert.equal(arabic, `${new Intl.NumberFormat('ar-EG').format(1)}:${new Intl.NumberFormat('ar-EG', { minimumIntegerDigits: 2 }).format(5)}`);
  });

  test('the pseudo-locale marks and accents every message, arguments and plurals intact', () => {
    const t = createTranslator('en-XA', { m: 'Resume in {countdown}; {n, plural, one {# try} other {# tries}} left' });
    const text = t('m', { countdown: '0:42', n: 2 });
    assert.ok(text.startsWith(OPEN_MARK) && text.endsWith(CLOSE_MARK), text);
    assert.match(text, /Ŕéšüɱé íñ 0:42; 2 ţŕíéš ļéƒţ/);
  });

  test('a missing key shows the key (a test notices) instead of breaking the page', () => {
    assert.equal(createTranslator('fr', {})('nope.key'), 'nope.key');
    assert.equal(createTranslator('fr', {}, { 'x.y': 'English' })('x.y'), 'English');
  });
});
