/**
 * Writes one terminal session as an asciicast v2 file while it happens: the header when the shell opens,
 * then each output chunk with its time since the start. Output is decoded as UTF-8 with a decoder that
 * keeps a character split between two chunks for the next one, so every event holds whole characters.
 * Writes are appended through one stream (no fsync per chunk); `close()` resolves once all is on disk.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { headerLine, outputLine, resizeLine } from './asciicast.ts';

export interface RecorderStart {
  file: string;
  cols: number;
  rows: number;
  /** Wall-clock start, for the header's timestamp. */
  startedAt: Date;
  title?: string;
  /** Monotonic milliseconds; performance.now() unless a test gives its own. */
  monotonic?: () => number;
}

export class TerminalRecorder {
  private readonly stream: WriteStream;
  private readonly decoder = new StringDecoder('utf8');
  private readonly monotonic: () => number;
  private readonly origin: number;
  private closed: Promise<void> | undefined;
  /** Bytes written to the file so far. */
  bytes = 0;

  constructor(start: RecorderStart) {
    this.monotonic = start.monotonic ?? (() => performance.now());
    this.origin = this.monotonic();
    this.stream = createWriteStream(start.file, { flags: 'wx', mode: 0o600 });
    this.stream.on('error', () => undefined);
    this.write(headerLine({ width: start.cols, height: start.rows, timestamp: Math.floor(start.startedAt.getTime() / 1000), ...(start.title ? { title: start.title } : {}), env: { TERM: 'xterm-256color' } }));
  }

  output(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    if (text) this.write(outputLine(this.elapsed(), text));
  }

  resize(cols: number, rows: number): void {
    this.write(resizeLine(this.elapsed(), cols, rows));
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const rest = this.decoder.end();
      if (rest) this.write(outputLine(this.elapsed(), rest));
      this.stream.end(() => resolve());
      this.stream.once('error', () => resolve());
    });
    return this.closed;
  }

  private elapsed(): number {
    return Math.max(0, this.monotonic() - this.origin);
  }

  private write(line: string): void {
    if (this.closed) return;
    this.bytes += Buffer.byteLength(line);
    this.stream.write(line);
  }
}
