/**
 * The store's connection: real PostgreSQL through `pg` when a URL is given, otherwise embedded PGlite
 * in a data folder. Both speak the same SQL, so every query in db/ runs unchanged on either.
 */
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { listenPostgres } from './pg-listener.ts';
import { acquireStoreLock, type StoreLock } from './store-lock.ts';

export interface QueryOptions {
  /**
   * A name under which PostgreSQL keeps the statement prepared on each connection, so the hottest
   * statements are parsed and planned once instead of on every call. Each name must always go with
   * the same SQL text. PGlite runs in-process and ignores it.
   */
  prepare?: string;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<R[]>;
}

/** Receives the notifications of one channel (LISTEN/NOTIFY). */
export interface ChannelListener {
  message(payload: string): void;
  /** From now on every notification is delivered: after subscribing, and again after each reconnect. */
  listening(): void;
  /** Notifications may be missed from now until the next `listening`: the connection was lost. */
  gap(error: Error): void;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements separated by semicolons, without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Subscribes to a notification channel; resolves once listening, with the way to stop. */
  listen(channel: string, listener: ChannelListener): Promise<() => Promise<void>>;
  /** The embedded store's whole data folder as a gzipped tarball (PGlite only; PostgreSQL has pg_dump). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

// Timestamps come back as Date on both; bigint (int8) ids as numbers, which is safe for our counters.
pg.types.setTypeParser(20, (value) => Number(value));

export async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // Fail fast with a readable message instead of on the first request.
  await pool.query('SELECT 1').catch(async (error: Error) => {
    await pool.end();
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${error.message}`, { cause: error });
  });
  return {
    kind: 'postgres',
    async query<R>(sql: string, params: unknown[] = [], options: QueryOptions = {}) {
      const result = options.prepare ? await pool.query({ name: options.prepare, text: sql, values: params }) : await pool.query(sql, params);
      return result.rows as R[];
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    listen: (channel, listener) =>
      listenPostgres(url, channel, listener, { probe: async (payload) => void (await pool.query('SELECT pg_notify($1, $2)', [channel, payload])) }),
    async close() {
      await pool.end();
    },
  };
}

/**
 * Embedded PGlite in `dataDir` (or in memory), optionally starting from a dumped data folder. A folder is
 * held by this process until `close` (store-lock.ts): a second opener gets an error naming the holder.
 */
export async function openPglite(dataDir: string | null, loadDataDir?: Blob): Promise<Database> {
  const options = loadDataDir ? { loadDataDir } : {};
  if (!dataDir) return openPgliteOn(new PGlite(options));
  const lock = acquireStoreLock(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
    return await openPgliteOn(new PGlite(dataDir, options), lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

export async function openPgliteOn(db: PGlite, lock?: StoreLock): Promise<Database> {
  await db.waitReady;
  const int8 = 20;
  const parsers = { [int8]: (value: string) => Number(value) };
  return {
    kind: 'pglite',
    async query<R>(sql: string, params: unknown[] = []) {
      return (await db.query<R>(sql, params, { parsers })).rows;
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return db.transaction(async (tx) =>
        fn({ query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params, { parsers })).rows }),
      );
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    dumpDataDir: () => db.dumpDataDir('gzip'),
    async listen(channel, listener) {
      // In-process: notifications cannot be lost, so there is never a gap.
      const stop = await db.listen(channel, (payload) => listener.message(payload));
      listener.listening();
      return () => stop();
    },
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** `seed`: what a new embedded store starts from (store-seed.ts); ignored for PostgreSQL and for an existing store. */
export async function openDatabase(options: { url?: string; dataDir: string | null; seed?: Blob }): Promise<Database> {
  return options.url ? openPostgres(options.url) : openPglite(options.dataDir, options.seed);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
