/**
 * How listing and show commands print: `-f table` (the default: aligned columns under a header line, for a
 * person), `-f json` or `-f yaml` (the API's shapes, for a script). `--json` stays as the short form of
 * `-f json`, as scripts written before `-f` use it.
 */
import { Option, type Command } from 'commander';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

/** One column: its header and how a row shows in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Adds `-f, --format` and `--json` to a command. */
export function withFormat(command: Command): Command {
  return command
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('--json', 'the same as -f json');
}

export function formatOf(opts: { format?: string; json?: boolean }): Format {
  return opts.json ? 'json' : ((opts.format ?? 'table') as Format);
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  // A table row is one line: a multi-line message (an error, a hint) is joined.
  return String(value).replace(/\s*\n\s*/g, ' ');
}

/** Rows as aligned columns under their headers; the last column is not padded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => cell(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  return cells.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** One record as FIELD/VALUE lines, for `show` commands. */
export function fields(record: Record<string, unknown>, only?: readonly string[]): string {
  const keys = only ?? Object.keys(record);
  return table(keys.map((key) => ({ key, value: record[key] })), [
    { header: 'FIELD', value: (r) => r.key },
    { header: 'VALUE', value: (r) => r.value },
  ]);
}

/** The value as JSON or YAML, or the table the command makes of it. */
export async function render(value: unknown, format: Format, asTable: () => string): Promise<string> {
  if (format === 'json') return JSON.stringify(value, null, 2);
  if (format === 'yaml') {
    const { stringify } = await import('yaml');
    return stringify(value).trimEnd();
  }
  return asTable();
}
