/**
 * Where the log goes. JSON lines (pino's own format) are for machines and log collectors; a person
 * watching `npm start` in a terminal gets one readable line per entry instead. `auto` picks by whether
 * standard output is a terminal.
 */
import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

function scalar(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
}

/** One pino JSON line as `HH:MM:SS LEVEL message key=value ...`. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '--:--:--';
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${scalar(value)}`);
  return [time, level, String(entry.msg ?? ''), ...fields].join(' ').trimEnd();
}

function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = chunk.toString('utf8').split('\n').filter(Boolean);
      out.write(lines.map((line) => prettyLine(line) + '\n').join(''));
      done();
    },
  });
}

export function createLogger(options: LoggerOptions, format: LogFormat, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && Boolean(out.isTTY));
  return pretty ? pino(options, prettyStream(out)) : pino(options, out as DestinationStream);
}
