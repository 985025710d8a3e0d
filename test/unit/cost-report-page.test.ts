/**
 * The cost report page an instructor reads (src/http/report/cost-page.ts) in their language: every word
 * from the catalogue (the pseudo-locale marks each one, so English written in the page shows up outside
 * the marks), why a cost is unknown said in the page's language, figures and months by Intl.
 * test/e2e/cost-report-i18n.test.ts checks the same page's layout in Chromium.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sentence } from '../../src/errors/sentence.ts';
import { costReportHtml } from '../../src/http/report/cost-page.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { OPEN_MARK } from '../../src/infra/i18n/pseudo.ts';
import type { CostFigures, CostReport } from '../../src/services/cost-report.ts';
import { outsideMarks, wordsOf } from '../support/pseudo-text.ts';

const figures = (hours: number, cost: number | null): CostFigures => ({
  stacks: 1,
  learningHours: hours / 2,
  billedHours: { running: hours, suspended: 1, shelved: 0, total: hours + 1 },
  alwaysOnHours: hours * 3,
  cost,
  alwaysOnCost: cost === null ? null : cost * 3,
  saving: cost === null ? null : cost * 2,
  billedPerLearningHour: 2,
});

/** A month of two courses, one of them on a provider without prices. */
export function sampleReport(): CostReport {
  const row = (context: string, learner: string, hours: number, cost: number | null) => ({ month: '2026-03', context, lab: 'shell', learner, provider: 'fake', ...figures(hours, cost) });
  return {
    from: '2026-03',
    to: '2026-04',
    generatedAt: '2026-04-30T23:00:00.000Z',
    currency: 'EUR',
    rows: [row('course-v1:Org+Linux+2026', 'ada', 1234.5, 1234.5), row('course-v1:Org+Web+2026', 'bob', 2, null)],
    byCourse: [
      { context: 'course-v1:Org+Linux+2026', ...figures(1234.5, 1234.5) },
      { context: 'course-v1:Org+Web+2026', ...figures(2, null) },
    ],
    byLab: [{ lab: 'shell', ...figures(1236.5, null) }],
    total: figures(1236.5, null),
    runningStacks: [
      { at: '2026-03-01T00:00:00.000Z', stacks: 0 },
      { at: '2026-03-01T01:00:00.000Z', stacks: 2 },
    ],
    priceProblems: ["There are no prices for the provider “east” (setting prices)."],
    priceProblemsSaid: [sentence('report.problem.noProviderPrices', { provider: 'east' })],
  };
}

describe('the cost report page in the reader\'s language', () => {
  test('en-XA: every word on the page, in labels too, comes from the catalogue', () => {
    const html = costReportHtml(sampleReport(), { locale: 'en-XA', t: translator('en-XA') });
    assert.deepEqual(outsideMarks(wordsOf(html)), [], 'text that is not from the catalogue');
    const labels = [...html.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1]);
    assert.ok(labels.length >= 3);
    for (const label of labels) assert.ok(label.includes(OPEN_MARK), `aria-label="${label}"`);
    assert.match(html, /<html lang="en-XA" dir="ltr">/);
  });

  test('ar-XB: the page runs right to left, its tables by logical sides, the plots\' labels anchored to lie where they do in English', () => {
    const anchors = (html: string) => [...html.matchAll(/<text [^>]*text-anchor="(start|end)"/g)].map((m) => m[1]);
    const rtl = costReportHtml(sampleReport(), { locale: 'ar-XB', t: translator('ar-XB') });
    const ltr = costReportHtml(sampleReport(), { locale: 'en-XA', t: translator('en-XA') });
    assert.match(rtl, /<html lang="ar-XB" dir="rtl">/);
    assert.ok(!/text-align: (left|right)/.test(rtl), 'text-align by start and end only');
    // A right-to-left label's start is its right end: every start in English is an end in Arabic, and back.
    assert.ok(anchors(ltr).length >= 10);
    assert.deepEqual(anchors(rtl), anchors(ltr).map((a) => (a === 'start' ? 'end' : 'start')));
  });

  test('de: why a cost is unknown in German, money, hours, months and the day it was made by Intl', () => {
    const de = translator('de');
    const html = costReportHtml(sampleReport(), { locale: 'de', t: de });
    assert.ok(html.includes(de('report.problem.noProviderPrices', { provider: 'east' }).replace(/"/g, '&quot;')), 'the price problem in German');
    assert.ok(!html.includes('There are no prices'), 'not in English');
    const period = new Intl.DateTimeFormat('de', { year: 'numeric', month: 'long', timeZone: 'UTC' }).formatRange(new Date(Date.UTC(2026, 2)), new Date(Date.UTC(2026, 3)));
    assert.ok(html.includes(`<h1>${de('report.heading', { period })}</h1>`), `the heading names ${period}`);
    assert.match(html, /30\. April 2026/, 'the day the report was made, written the German way');
    assert.match(html, /<td translate="no">1\.234,50\s€<\/td>/, 'money with German grouping, decimals and symbol');
    assert.match(html, /<td translate="no">617,25<\/td>/, 'hours with German decimals');
    assert.match(html, /<strong translate="no" id="total-cost">—<\/strong>/, 'an unknown cost stays unknown');
  });

  test('zh-CN and a made-up currency: the words in Chinese, the unit written after the figure', () => {
    const report = { ...sampleReport(), currency: 'credits' };
    const zh = translator('zh-CN');
    const html = costReportHtml(report, { locale: 'zh-CN', t: zh });
    assert.ok(html.includes(`<h2>${zh('report.perLearnerMonth')}</h2>`));
    assert.match(html, /<td translate="no">1,234\.50 credits<\/td>/);
  });

  test('without a language (the CLI) the page is in English', () => {
    const html = costReportHtml(sampleReport());
    assert.match(html, /<html lang="en" dir="ltr">/);
    assert.match(html, /<h1>Cost report, March\s–\sApril 2026<\/h1>/);
    assert.match(html, /<td translate="no">€1,234\.50<\/td>/);
  });
});
