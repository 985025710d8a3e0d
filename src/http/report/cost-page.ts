/**
 * The cost report as one self-contained HTML page (no script, inline SVG plots): stacks running over
 * time, cost per course, billed against learning hours per course, and the tables. Served by the report
 * route with `format=html` and written by `stacklab cost-report --format html`.
 *
 * An instructor reads it in their language (docs/i18n.md): the words come from the catalogue
 * (`report.*`), months, dates, hours and money are formatted by Intl in the page's locale, and the page
 * runs right to left in Arabic or Hebrew. Course, lab and learner names and the figures are data, marked
 * translate="no".
 */
import { translator } from '../../infra/i18n/catalogues.ts';
import { intlLocale, type Translate } from '../../infra/i18n/formatter.ts';
import { SOURCE_LOCALE, textDirection } from '../../infra/i18n/locale-info.ts';
import type { CostFigures, CostReport } from '../../services/cost-report.ts';
import { escapeHtml } from '../routes/learner-page.ts';

const WIDTH = 720;
const HEIGHT = 220;
/** The top margin holds the legend, above the plot. */
const PAD = { left: 56, right: 16, top: 30, bottom: 40 };

export interface ReportLanguage {
  locale: string;
  t: Translate;
}

/** How the page writes figures, dates and money in its locale. */
interface Formats {
  t: Translate;
  /**
   * The text-anchor that lays a label out toward `side` of its x: SVG anchors follow the text's
   * direction, and in a right-to-left page a label's start is its right end.
   */
  toward(side: 'left' | 'right'): 'start' | 'end';
  /** Hours and ratios with `digits` decimals. */
  fixed(value: number, digits: number): string;
  money(value: number | null): string;
  /** A day, from an ISO time or epoch milliseconds (UTC). */
  day(value: number): string;
}

function formats(lang: ReportLanguage, currency: string | null): Formats {
  const locale = intlLocale(lang.locale);
  const fixedFormats = new Map<number, Intl.NumberFormat>();
  const fixed = (value: number, digits: number) => {
    let format = fixedFormats.get(digits);
    if (!format) fixedFormats.set(digits, (format = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits })));
    return format.format(value);
  };
  const moneyFormat = currencyFormat(locale, currency);
  const dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const rtl = textDirection(lang.locale) === 'rtl';
  return {
    t: lang.t,
    toward: (side) => ((side === 'right') !== rtl ? 'start' : 'end'),
    fixed,
    money: (value) => (value === null ? '—' : moneyFormat ? moneyFormat.format(value) : `${fixed(value, 2)} ${currency ?? ''}`.trim()),
    day: (value) => dayFormat.format(value),
  };
}

/** Intl's currency format when the prices name an ISO 4217 code; a made-up unit is written after the number. */
function currencyFormat(locale: string, currency: string | null): Intl.NumberFormat | undefined {
  if (!currency || !/^[A-Za-z]{3}$/.test(currency)) return undefined;
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
  } catch {
    return undefined;
  }
}

/** `March 2026`, or `March – May 2026`, the locale's way (months are UTC, as the report counts them). */
function periodText(locale: string, from: string, to: string): string {
  const month = (name: string) => new Date(`${name}-01T00:00:00Z`);
  const format = new Intl.DateTimeFormat(intlLocale(locale), { year: 'numeric', month: 'long', timeZone: 'UTC' });
  return from === to ? format.format(month(from)) : format.formatRange(month(from), month(to));
}

/** A name from the data: never translated, and laid out in its own direction (a Latin course id in an Arabic page). */
const data = (text: string) => `<span translate="no" dir="auto">${escapeHtml(text)}</span>`;

export function costReportHtml(report: CostReport, lang: ReportLanguage = { locale: SOURCE_LOCALE, t: translator(SOURCE_LOCALE) }): string {
  const f = formats(lang, report.currency);
  const { t } = lang;
  const period = periodText(lang.locale, report.from, report.to);
  const generated = new Intl.DateTimeFormat(intlLocale(lang.locale), { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(report.generatedAt));
  const total = report.total;
  const figure = (label: string, value: string, id?: string) => `<div>${escapeHtml(label)}<strong translate="no"${id ? ` id="${id}"` : ''}>${escapeHtml(value)}</strong></div>`;
  return `<!doctype html>
<html lang="${escapeHtml(lang.locale)}" dir="${textDirection(lang.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t('report.title', { period }))}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 980px; padding: 0 1rem; color: #1d2733; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #dde3ea; padding: 0.3rem 0.5rem; text-align: end; } th:first-child, td:first-child { text-align: start; }
.summary { display: flex; gap: 1.5rem; flex-wrap: wrap; } .summary div { background: #f2f5f8; padding: 0.6rem 0.9rem; border-radius: 6px; }
.summary strong { display: block; font-size: 1.2rem; } .problem { color: #9a4b00; }
svg { display: block; width: 100%; max-width: ${WIDTH}px; height: auto; } svg text { font-size: 11px; fill: #4a5866; } svg text.name { unicode-bidi: plaintext; }
</style>
</head>
<body>
<h1>${escapeHtml(t('report.heading', { period }))}</h1>
<p>${escapeHtml(t('report.generated', { generated }))}</p>
<div class="summary">
  ${figure(t('report.learningHours'), f.fixed(total.learningHours, 1), 'total-learning')}
  ${figure(t('report.billedHours'), f.fixed(total.billedHours.total, 1), 'total-billed')}
  ${figure(t('report.billedPerLearningHour'), total.billedPerLearningHour === null ? '—' : f.fixed(total.billedPerLearningHour, 2))}
  ${figure(t('report.cost'), f.money(total.cost), 'total-cost')}
  ${figure(t('report.saving'), f.money(total.saving))}
</div>
${report.priceProblemsSaid.map((p) => `<p class="problem">${escapeHtml(t(p.key, p.values))}</p>`).join('\n')}
<h2>${escapeHtml(t('report.runningOverTime'))}</h2>
${lineChart(report.runningStacks.map((p) => ({ x: Date.parse(p.at), y: p.stacks })), t('report.runningPlot'), f)}
<h2>${escapeHtml(t('report.costPerCourse'))}</h2>
${barChart(report.byCourse.map((c) => ({ label: c.context, values: [c.cost ?? 0] })), [t('report.cost')], f, true)}
<h2>${escapeHtml(t('report.hoursPerCourse'))}</h2>
${barChart(report.byCourse.map((c) => ({ label: c.context, values: [c.billedHours.total, c.learningHours] })), [t('report.billedHours'), t('report.learningHours')], f, false)}
<h2>${escapeHtml(t('report.perCourse'))}</h2>
${table(t('report.colCourse'), report.byCourse.map((c) => [data(c.context), c] as const), f)}
<h2>${escapeHtml(t('report.perLab'))}</h2>
${table(t('report.colLab'), report.byLab.map((l) => [data(l.lab), l] as const), f)}
<h2>${escapeHtml(t('report.perLearnerMonth'))}</h2>
${table(
  t('report.colMonthCourseLabLearner'),
  report.rows.map((r) => [data(`${r.month} · ${r.context} · ${r.lab} · ${r.learner}`), r] as const),
  f,
)}
</body>
</html>
`;
}

/** One row per group: its name (markup, already escaped) and its figures, in a box that scrolls sideways on a narrow screen. */
function table(first: string, rows: ReadonlyArray<readonly [string, CostFigures]>, f: Formats): string {
  const { t } = f;
  const cell = (text: string) => `<td translate="no">${escapeHtml(text)}</td>`;
  const body = rows
    .map(
      ([name, g]) =>
        `<tr><td>${name}</td>${cell(f.fixed(g.learningHours, 2))}${cell(f.fixed(g.billedHours.running, 2))}${cell(f.fixed(g.billedHours.suspended, 2))}` +
        `${cell(f.fixed(g.billedHours.shelved, 2))}${cell(f.fixed(g.billedHours.total, 2))}${cell(f.money(g.cost))}${cell(f.money(g.saving))}</tr>`,
    )
    .join('\n');
  const heads = [first, t('report.colLearning'), t('report.colRunning'), t('report.colSuspended'), t('report.colShelved'), t('report.colBilled'), t('report.colCost'), t('report.colSaving')];
  return `<div class="scroll"><table><thead><tr>${heads.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${body || `<tr><td colspan="8">${escapeHtml(t('report.noneBilled'))}</td></tr>`}</tbody></table></div>`;
}

const COLOURS = ['#2f6fb3', '#59a14f', '#e38b2c'];

/*
 * The plots keep their geometry left to right in every language (time runs to the right, as the axis
 * dates say); their words are the catalogue's, their figures and names data, and their labels run in the
 * page's direction, anchored so they lie where they would in English.
 */

function lineChart(points: Array<{ x: number; y: number }>, label: string, f: Formats): string {
  if (points.length === 0) return `<p>${escapeHtml(f.t('report.noData'))}</p>`;
  const maxY = Math.max(1, ...points.map((p) => p.y));
  const minX = points[0].x;
  const spanX = Math.max(1, points[points.length - 1].x - minX);
  const x = (v: number) => PAD.left + ((v - minX) / spanX) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / maxY) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
  return `<svg id="plot-running" role="img" aria-label="${escapeHtml(label)}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
${axes(maxY, f)}
<path d="${path}" fill="none" stroke="${COLOURS[0]}" stroke-width="1.5"/>
<text translate="no" x="${PAD.left}" y="${HEIGHT - 12}" text-anchor="${f.toward('right')}">${escapeHtml(f.day(minX))}</text><text translate="no" x="${WIDTH - PAD.right}" y="${HEIGHT - 12}" text-anchor="${f.toward('left')}">${escapeHtml(f.day(points[points.length - 1].x))}</text>
<text x="${PAD.left}" y="14" text-anchor="${f.toward('right')}">${escapeHtml(label)}</text>
</svg>`;
}

function barChart(groups: Array<{ label: string; values: number[] }>, series: string[], f: Formats, money: boolean): string {
  if (groups.length === 0) return `<p>${escapeHtml(f.t('report.noData'))}</p>`;
  const maxY = Math.max(1, ...groups.flatMap((g) => g.values));
  const slot = (WIDTH - PAD.left - PAD.right) / groups.length;
  const bar = Math.max(2, (slot * 0.8) / series.length);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / maxY) * (HEIGHT - PAD.top - PAD.bottom);
  const bars = groups
    .map((g, i) => {
      const left = PAD.left + i * slot + slot * 0.1;
      const rects = g.values
        .map((v, j) => {
          const title = f.t('report.barTitle', { name: g.label, series: series[j], value: money ? f.money(v) : f.fixed(v, 2) });
          return `<rect x="${(left + j * bar).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(HEIGHT - PAD.bottom - y(v)).toFixed(1)}" fill="${COLOURS[j % COLOURS.length]}"><title>${escapeHtml(title)}</title></rect>`;
        })
        .join('');
      const name = g.label.length > 24 ? `${g.label.slice(0, 23)}…` : g.label;
      return `${rects}<text class="name" translate="no" x="${(left + (slot * 0.8) / 2).toFixed(1)}" y="${HEIGHT - 24}" text-anchor="middle">${escapeHtml(name)}</text>`;
    })
    .join('\n');
  const legend = series.map((s, j) => `<rect x="${PAD.left + j * 200}" y="5" width="10" height="10" fill="${COLOURS[j]}"/><text x="${PAD.left + 14 + j * 200}" y="14" text-anchor="${f.toward('right')}">${escapeHtml(s)}</text>`).join('');
  return `<svg class="plot-bars" role="img" aria-label="${escapeHtml(series.join(', '))}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
${axes(maxY, f)}
${bars}
${legend}
</svg>`;
}

function axes(maxY: number, f: Formats): string {
  const bottom = HEIGHT - PAD.bottom;
  const top = f.fixed(maxY, maxY >= 100 ? 0 : maxY >= 10 ? 1 : 2);
  return `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="#8896a5"/><line x1="${PAD.left}" y1="${bottom}" x2="${WIDTH - PAD.right}" y2="${bottom}" stroke="#8896a5"/>
<text translate="no" x="${PAD.left - 6}" y="${bottom}" text-anchor="${f.toward('left')}">${escapeHtml(f.fixed(0, 0))}</text><text translate="no" x="${PAD.left - 6}" y="${PAD.top + 8}" text-anchor="${f.toward('left')}">${escapeHtml(top)}</text>`;
}
