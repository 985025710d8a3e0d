/** The cost report as CSV: one row per stack and month (services/cost-report.ts), for spreadsheets. */
import type { CostReport } from '../../services/cost-report.ts';

const COLUMNS = [
  'month', 'context', 'lab', 'learner', 'provider', 'learning_hours', 'running_hours', 'suspended_hours', 'shelved_hours', 'billed_hours',
  'always_on_hours', 'cost', 'always_on_cost', 'saving', 'billed_per_learning_hour', 'currency',
] as const;

export function costReportCsv(report: CostReport): string {
  const lines = [COLUMNS.join(',')];
  for (const r of report.rows) {
    lines.push(
      [
        r.month, r.context, r.lab, r.learner, r.provider ?? '', r.learningHours, r.billedHours.running, r.billedHours.suspended, r.billedHours.shelved,
        r.billedHours.total, r.alwaysOnHours, r.cost ?? '', r.alwaysOnCost ?? '', r.saving ?? '', r.billedPerLearningHour ?? '', r.cost === null ? '' : (report.currency ?? ''),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * RFC 4180 quoting, and a leading quote mark on text a spreadsheet would run as a formula (a learner id
 * or course id from an LMS is not ours to trust).
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
