/** SQL for terminal recordings (table terminal_recordings, migration 012). */
import type { Queryable } from '../db/database.ts';

export interface Recording {
  id: string;
  stackId: string;
  learner: string;
  context: string;
  lab: string;
  server: string;
  /** File name inside the recordings folder (never a path a request chose). */
  file: string;
  startedAt: Date;
  endedAt: Date | null;
  bytes: number;
}

interface RecordingRow {
  id: string;
  stack_id: string;
  learner: string;
  context: string;
  lab: string;
  server: string;
  file: string;
  started_at: Date;
  ended_at: Date | null;
  bytes: number | string;
}

function toRecording(row: RecordingRow): Recording {
  return {
    id: row.id,
    stackId: row.stack_id,
    learner: row.learner,
    context: row.context,
    lab: row.lab,
    server: row.server,
    file: row.file,
    startedAt: new Date(row.started_at),
    endedAt: row.ended_at ? new Date(row.ended_at) : null,
    bytes: Number(row.bytes),
  };
}

export class RecordingStore {
  constructor(private readonly db: Queryable) {}

  async begin(r: Omit<Recording, 'endedAt' | 'bytes'>): Promise<void> {
    await this.db.query(
      'INSERT INTO terminal_recordings (id, stack_id, learner, context, lab, server, file, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [r.id, r.stackId, r.learner, r.context, r.lab, r.server, r.file, r.startedAt],
    );
  }

  async finish(id: string, endedAt: Date, bytes: number): Promise<void> {
    await this.db.query('UPDATE terminal_recordings SET ended_at = $2, bytes = $3 WHERE id = $1', [id, endedAt, bytes]);
  }

  async get(id: string): Promise<Recording | null> {
    const [row] = await this.db.query<RecordingRow>('SELECT * FROM terminal_recordings WHERE id = $1', [id]);
    return row ? toRecording(row) : null;
  }

  /** A stack's recordings, oldest first. */
  async forStack(stackId: string, limit = 200): Promise<Recording[]> {
    const rows = await this.db.query<RecordingRow>('SELECT * FROM terminal_recordings WHERE stack_id = $1 ORDER BY started_at, id LIMIT $2', [stackId, limit]);
    return rows.map(toRecording);
  }

  /** Removes up to `limit` recordings started before `before`; returns them, so their files go too. */
  async removeOlderThan(before: Date, limit: number): Promise<Recording[]> {
    const rows = await this.db.query<RecordingRow>(
      `DELETE FROM terminal_recordings WHERE id IN (SELECT id FROM terminal_recordings WHERE started_at < $1 ORDER BY started_at LIMIT $2) RETURNING *`,
      [before, limit],
    );
    return rows.map(toRecording);
  }
}
