/**
 * asciicast v2, the format asciinema records and plays (https://docs.asciinema.org/manual/asciicast/v2/):
 * newline-delimited JSON, a header object on the first line, then one event per line as
 * `[seconds since start, code, data]` with code "o" (output) or "r" (resize, data "COLSxROWS").
 * Pure: the recorder writes these lines, the class view's player and the tests read them back.
 */

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time (seconds) the recording started. */
  timestamp: number;
  title?: string;
  env?: Record<string, string>;
}

export type AsciicastEvent = [time: number, code: 'o' | 'r' | 'i' | 'm', data: string];

export interface Asciicast {
  header: AsciicastHeader;
  events: AsciicastEvent[];
}

export function headerLine(header: Omit<AsciicastHeader, 'version'>): string {
  return JSON.stringify({ version: 2, ...header }) + '\n';
}

/** Seconds with microsecond precision, as asciinema writes them. */
function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1_000_000;
}

export function outputLine(elapsedMs: number, data: string): string {
  return JSON.stringify([seconds(elapsedMs), 'o', data]) + '\n';
}

export function resizeLine(elapsedMs: number, cols: number, rows: number): string {
  return JSON.stringify([seconds(elapsedMs), 'r', `${cols}x${rows}`]) + '\n';
}

/**
 * Reads a recording and checks it is valid asciicast v2: throws an Error that names the line and what
 * is wrong with it. A last line cut short (the server stopped mid-write) is dropped, not an error.
 */
export function parseAsciicast(text: string): Asciicast {
  const lines = text.split('\n');
  if (lines.at(-1) !== '' && lines.length > 1) {
    try {
      JSON.parse(lines.at(-1) ?? '');
    } catch {
      lines.pop();
    }
  }
  const nonEmpty = lines.map((line, index) => ({ line, number: index + 1 })).filter((l) => l.line.trim() !== '');
  if (!nonEmpty.length) throw new Error('asciicast: the recording is empty (line 1 must be the header)');
  const header = parseJson(nonEmpty[0].line, 1) as Partial<AsciicastHeader>;
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('asciicast: line 1 must be a JSON object (the header)');
  if (header.version !== 2) throw new Error(`asciicast: line 1: version must be 2, not ${JSON.stringify(header.version)}`);
  for (const key of ['width', 'height'] as const) {
    if (!Number.isInteger(header[key]) || (header[key] as number) <= 0) throw new Error(`asciicast: line 1: ${key} must be a positive integer`);
  }
  if (header.timestamp !== undefined && !Number.isInteger(header.timestamp)) throw new Error('asciicast: line 1: timestamp must be an integer (Unix seconds)');
  const events: AsciicastEvent[] = [];
  let last = 0;
  for (const { line, number } of nonEmpty.slice(1)) {
    const event = parseJson(line, number);
    if (!Array.isArray(event) || event.length !== 3) throw new Error(`asciicast: line ${number}: an event is [time, code, data]`);
    const [time, code, data] = event as unknown[];
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) throw new Error(`asciicast: line ${number}: time must be a number of seconds, at least 0`);
    if (time < last) throw new Error(`asciicast: line ${number}: time ${time} is before the previous event's ${last}`);
    if (code !== 'o' && code !== 'r' && code !== 'i' && code !== 'm') throw new Error(`asciicast: line ${number}: code must be "o", "i", "r" or "m"`);
    if (typeof data !== 'string') throw new Error(`asciicast: line ${number}: data must be a string`);
    if (code === 'r' && !/^\d+x\d+$/.test(data)) throw new Error(`asciicast: line ${number}: a resize's data is COLSxROWS`);
    last = time;
    events.push([time, code, data]);
  }
  return { header: header as AsciicastHeader, events };
}

function parseJson(line: string, number: number): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new Error(`asciicast: line ${number} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}
