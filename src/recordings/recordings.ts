/**
 * Terminal recordings: each learner terminal session of a lab that records (lab.yaml `record_terminal`,
 * on by default) is written as an asciicast v2 file into `<data_dir>/recordings/` and listed in the
 * store. Kept for `recording_retention_days` (0 = nothing is recorded on this deployment); the
 * recordings sweep removes older ones, row and file. Files are named by a random id, never by anything
 * a request sends, so reading one cannot be turned into reading another path.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { Lab } from '../domain/lab.ts';
import type { Stack } from '../domain/stack.ts';
import type { Clock } from '../infra/clock.ts';
import { RecordingStore, type Recording } from './recording-store.ts';
import { TerminalRecorder } from './terminal-recorder.ts';

export interface RecordingsDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** The folder the files go into. */
  dir: string;
  retentionDays: number;
}

/** A recording in progress, as the terminal bridge feeds it. */
export interface ActiveRecording {
  id: string;
  output(chunk: Buffer): void;
  resize(cols: number, rows: number): void;
  close(): Promise<void>;
}

const SWEEP_BATCH = 500;

export class Recordings {
  readonly store: RecordingStore;

  constructor(private readonly deps: RecordingsDeps) {
    this.store = new RecordingStore(deps.db);
  }

  /** Whether this lab's terminal sessions are recorded here. */
  records(lab: Lab): boolean {
    return this.deps.retentionDays > 0 && lab.recordTerminal;
  }

  async start(stack: Stack, lab: Lab, server: string, size: { cols: number; rows: number }): Promise<ActiveRecording | undefined> {
    if (!this.records(lab)) return undefined;
    await mkdir(this.deps.dir, { recursive: true, mode: 0o700 });
    const id = randomUUID();
    const file = `${id}.cast`;
    const startedAt = this.deps.clock.now();
    await this.store.begin({ id, stackId: stack.id, learner: stack.learner, context: stack.context, lab: lab.id, server, file, startedAt });
    const recorder = new TerminalRecorder({ file: join(this.deps.dir, file), ...size, startedAt, title: `${lab.title} (${server})` });
    let closing: Promise<void> | undefined;
    return {
      id,
      output: (chunk) => recorder.output(chunk),
      resize: (cols, rows) => recorder.resize(cols, rows),
      close: () =>
        (closing ??= (async () => {
          await recorder.close();
          await this.store.finish(id, this.deps.clock.now(), recorder.bytes).catch((error: Error) => this.deps.logger.warn({ err: error, recording: id }, 'recording: could not record its end'));
        })()),
    };
  }

  /** The recording's asciicast text. */
  async read(recording: Recording): Promise<string> {
    return readFile(join(this.deps.dir, recording.file), 'utf8');
  }

  /** Removes recordings older than the retention, row first (so none is listed without its file). */
  async sweep(): Promise<{ removed: number }> {
    const before = new Date(this.deps.clock.now().getTime() - this.deps.retentionDays * 86_400_000);
    let removed = 0;
    for (;;) {
      const gone = await this.store.removeOlderThan(before, SWEEP_BATCH);
      for (const recording of gone) await rm(join(this.deps.dir, recording.file), { force: true });
      removed += gone.length;
      if (gone.length < SWEEP_BATCH) break;
    }
    if (removed) this.deps.logger.info({ removed }, `recordings: removed ${removed} older than ${this.deps.retentionDays} days`);
    return { removed };
  }
}
