/**
 * The cost report as one self-contained HTML page (no script, inline SVG plots): stacks running over
 * time, cost per course, billed against learning hours per course, and the tables. Served by the report
 * route with `format=html` and written by `stacklab cost-report --format html`.
 */
import type { CostFigures, CostReport } from '../../services/cost-report.ts';
import { escapeHtml } from '../routes/learner-page.ts';

const WIDTH = 720;
const HEIGHT = 220;
/** The top margin holds the legend, above the plot. */
const PAD = { left: 56, right: 16, top: 30, bottom: 40 };

export function costReportHtml(report: CostReport): string {
  const money = (value: number | null) => (value === null ? '—' : `${value.toFixed(2)} ${escapeHtml(report.currency ?? '')}`);
  const period = report.from === report.to ? report.from : `${report.from} – ${report.to}`;
  const t = report.total;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stacklab cost report ${escapeHtml(period)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 980px; padding: 0 1rem; color: #1d2733; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #dde3ea; padding: 0.3rem 0.5rem; text-align: right; } th:first-child, td:first-child { text-align: left; }
.summary { display: flex; gap: 1.5rem; flex-wrap: wrap; } .summary div { background: #f2f5f8; padding: 0.6rem 0.9rem; border-radius: 6px; }
.summary strong { display: block; font-size: 1.2rem; } .problem { color: #9a4b00; } svg text { font-size: 11px; fill: #4a5866; }
</style>
</head>
<body>
<h1>Cost report, ${escapeHtml(period)}</h1>
<p>Generated ${escapeHtml(report.generatedAt)} from the stack histories. Learning hours are running hours up to the last recorded activity before each suspend (docs/cost.md).</p>
<div class="summary">
  <div>Learning hours<strong id="total-learning">${t.learningHours.toFixed(1)}</strong></div>
  <div>Billed hours<strong id="total-billed">${t.billedHours.total.toFixed(1)}</strong></div>
  <div>Billed per learning hour<strong>${t.billedPerLearningHour === null ? '—' : t.billedPerLearningHour.toFixed(2)}</strong></div>
  <div>Cost<strong id="total-cost">${money(t.cost)}</strong></div>
  <div>Saving against always-on<strong>${money(t.saving)}</strong></div>
</div>
${report.priceProblems.map((p) => `<p class="problem">${escapeHtml(p)}</p>`).join('\n')}
<h2>Stacks running over time</h2>
${lineChart(report.runningStacks.map((p) => ({ x: Date.parse(p.at), y: p.stacks })), 'average stacks running per hour')}
<h2>Cost per course</h2>
${barChart(report.byCourse.map((c) => ({ label: c.context, values: [c.cost ?? 0] })), ['cost'])}
<h2>Billed and learning hours per course</h2>
${barChart(report.byCourse.map((c) => ({ label: c.context, values: [c.billedHours.total, c.learningHours] })), ['billed hours', 'learning hours'])}
<h2>Per course</h2>
${table('course', report.byCourse.map((c) => [c.context, c] as const), money)}
<h2>Per lab</h2>
${table('lab', report.byLab.map((l) => [l.lab, l] as const), money)}
<h2>Per learner and month</h2>
${table(
  'month · course · lab · learner',
  report.rows.map((r) => [`${r.month} · ${r.context} · ${r.lab} · ${r.learner}`, r] as const),
  money,
)}
</body>
</html>
`;
}

function table(first: string, rows: ReadonlyArray<readonly [string, CostFigures]>, money: (v: number | null) => string): string {
  const body = rows
    .map(
      ([name, f]) =>
        `<tr><td>${escapeHtml(name)}</td><td>${f.learningHours.toFixed(2)}</td><td>${f.billedHours.running.toFixed(2)}</td><td>${f.billedHours.suspended.toFixed(2)}</td>` +
        `<td>${f.billedHours.shelved.toFixed(2)}</td><td>${f.billedHours.total.toFixed(2)}</td><td>${money(f.cost)}</td><td>${money(f.saving)}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>${escapeHtml(first)}</th><th>learning h</th><th>running h</th><th>suspended h</th><th>shelved h</th><th>billed h</th><th>cost</th><th>saving</th></tr></thead>
<tbody>${body || '<tr><td colspan="8">No stack was billed in this period.</td></tr>'}</tbody></table>`;
}

const COLOURS = ['#2f6fb3', '#59a14f', '#e38b2c'];

function lineChart(points: Array<{ x: number; y: number }>, label: string): string {
  if (points.length === 0) return '<p>No data.</p>';
  const maxY = Math.max(1, ...points.map((p) => p.y));
  const minX = points[0].x;
  const spanX = Math.max(1, points[points.length - 1].x - minX);
  const x = (v: number) => PAD.left + ((v - minX) / spanX) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / maxY) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
  const first = new Date(minX).toISOString().slice(0, 10);
  const last = new Date(points[points.length - 1].x).toISOString().slice(0, 10);
  return `<svg id="plot-running" role="img" aria-label="${escapeHtml(label)}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
${axes(maxY)}
<path d="${path}" fill="none" stroke="${COLOURS[0]}" stroke-width="1.5"/>
<text x="${PAD.left}" y="${HEIGHT - 12}">${first}</text><text x="${WIDTH - PAD.right}" y="${HEIGHT - 12}" text-anchor="end">${last}</text>
<text x="${PAD.left}" y="14">${escapeHtml(label)}</text>
</svg>`;
}

function barChart(groups: Array<{ label: string; values: number[] }>, series: string[]): string {
  if (groups.length === 0) return '<p>No data.</p>';
  const maxY = Math.max(1, ...groups.flatMap((g) => g.values));
  const slot = (WIDTH - PAD.left - PAD.right) / groups.length;
  const bar = Math.max(2, (slot * 0.8) / series.length);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / maxY) * (HEIGHT - PAD.top - PAD.bottom);
  const bars = groups
    .map((g, i) => {
      const left = PAD.left + i * slot + slot * 0.1;
      const rects = g.values
        .map((v, j) => `<rect x="${(left + j * bar).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(HEIGHT - PAD.bottom - y(v)).toFixed(1)}" fill="${COLOURS[j % COLOURS.length]}"><title>${escapeHtml(`${g.label}: ${series[j]} ${v.toFixed(2)}`)}</title></rect>`)
        .join('');
      const name = g.label.length > 24 ? `${g.label.slice(0, 23)}…` : g.label;
      return `${rects}<text x="${(left + (slot * 0.8) / 2).toFixed(1)}" y="${HEIGHT - 24}" text-anchor="middle">${escapeHtml(name)}</text>`;
    })
    .join('\n');
  const legend = series.map((s, j) => `<rect x="${PAD.left + j * 130}" y="5" width="10" height="10" fill="${COLOURS[j]}"/><text x="${PAD.left + 14 + j * 130}" y="14">${escapeHtml(s)}</text>`).join('');
  return `<svg class="plot-bars" role="img" aria-label="${escapeHtml(series.join(', '))}" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
${axes(maxY)}
${bars}
${legend}
</svg>`;
}

function axes(maxY: number): string {
  const bottom = HEIGHT - PAD.bottom;
  return `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="#8896a5"/><line x1="${PAD.left}" y1="${bottom}" x2="${WIDTH - PAD.right}" y2="${bottom}" stroke="#8896a5"/>
<text x="${PAD.left - 6}" y="${bottom}" text-anchor="end">0</text><text x="${PAD.left - 6}" y="${PAD.top + 8}" text-anchor="end">${formatTick(maxY)}</text>`;
}

function formatTick(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}
