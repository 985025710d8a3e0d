/**
 * Every LTI page (src/lti/html.ts) in the pseudo-locales: no word outside the catalogue's marks, the
 * page's language and direction on <html>. The Chromium test (test/e2e/lab-page-i18n.test.ts) renders
 * the refusal page and the picker; the pages that post on at once (back to the platform, the storage
 * round trips) are checked here, where their text can be read before their script moves on.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sentence } from '../../src/errors/sentence.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { autoPostPage, errorPage, pickerPage, storageCheckPage, storagePutPage } from '../../src/lti/html.ts';
import { outsideMarks, unmarkedLabels, wordsOf } from '../support/pseudo-text.ts';

const TARGET = { frame: '_parent', origin: 'https://moodle.example.org', key: 'stacklab-state' };

describe('LTI pages in the pseudo-locales', () => {
  for (const [locale, dir] of [['en-XA', 'ltr'], ['ar-XB', 'rtl']] as const) {
    test(`${locale}: every page's words come from the catalogue, ${dir}`, () => {
      const lang = { locale, t: translator(locale) };
      const pages = {
        'auto-post back to the platform': autoPostPage(lang, 'https://moodle.example.org/return', { JWT: 'x' }),
        'adding a lab': autoPostPage(lang, 'https://moodle.example.org/return', { JWT: 'x' }, 'lti.addingLab'),
        refusal: errorPage(lang, sentence('lti.refusal.labUnknown', { lab: 'web-101' }), 'lab_missing'),
        picker: pickerPage(lang, '/lti/deep-link', 'token', [{ id: 'shell', title: 'Shell basics', description: 'Files and pipes.' }], false, ['Kubernetes']),
        'empty picker': pickerPage(lang, '/lti/deep-link', 'token', [], true),
        'storage put': storagePutPage(lang, 'https://moodle.example.org/auth', TARGET, 'v'),
        'storage check': storageCheckPage(lang, '/lti/launch', { id_token: 't', state: 's' }, TARGET),
      };
      for (const [name, html] of Object.entries(pages)) {
        assert.match(html, new RegExp(`<html lang="${locale}" dir="${dir}">`), name);
        assert.deepEqual(outsideMarks(wordsOf(html)), [], `${name}: text that is not from the catalogue`);
        assert.deepEqual(unmarkedLabels(html), [], `${name}: labels that are not from the catalogue`);
        assert.ok(/<title>⟦/.test(html), `${name}: its <title> is from the catalogue`);
      }
    });
  }

  test('the check itself finds English in a page, and leaves data marked translate="no" alone', () => {
    assert.deepEqual(outsideMarks(wordsOf('<p>⟦Ŕéƒüšéð⟧ Continue</p><span translate="no">Shell basics</span>')), ['Continue']);
    assert.deepEqual(unmarkedLabels('<button aria-label="Close">x</button><i title="⟦Ţíţļé⟧"></i>'), ['Close']);
  });
});
