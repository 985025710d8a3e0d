/**
 * The store tests run once per backend, as Kysely runs its suite once per dialect: embedded PGlite
 * always, and real PostgreSQL (DATABASE_URL, or 127.0.0.1:5432/test) when it answers — under CI it must.
 * Each PostgreSQL test gets its own fresh schema, so tests never see each other's rows. Dropping a test
 * database first scans every stack history it holds for an illegal step (history-scan.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite, openPgliteOn, openPostgres, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrations.ts';
import { assertLegalHistory } from './history-scan.ts';

export const POSTGRES_URL = process.env.STACKLAB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresUp: Promise<boolean> | null = null;
export function postgresAvailable(): Promise<boolean> {
  postgresUp ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresUp;
}

let image: Promise<Blob> | null = null;
/** PGlite's initdb and the migrations run once per process; each test database starts from a copy. */
function migratedImage(): Promise<Blob> {
  image ??= (async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const seed = new PGlite();
    const db = await openPgliteOn(seed);
    await migrate(db);
    await seed.exec('CHECKPOINT');
    const blob = await seed.dumpDataDir('none');
    await seed.close();
    return blob as Blob;
  })();
  return image;
}

export type Backend = 'pglite' | 'postgres';
export const BACKENDS: Backend[] = ['pglite', 'postgres'];

export interface TestDatabase {
  db: Database;
  /** Connection URL with the schema selected, for child processes (postgres only). */
  url?: string;
  /** Scans every stack history for an illegal step (history-scan.ts), then closes and removes the database; rejects if one was found. */
  drop(): Promise<void>;
}

/** Scans before anything goes away, and goes away even when the scan fails. */
async function scanned(db: Database, remove: () => Promise<void>): Promise<void> {
  try {
    await assertLegalHistory(db);
  } finally {
    await remove();
  }
}

/**
 * A migrated, empty database on the given backend; `poolSize` caps its PostgreSQL connections (the cost
 * benchmark's groups, many side by side, each need few).
 */
export async function freshDatabase(backend: Backend, poolSize?: number): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const db = await openPglite(null, await migratedImage());
    await migrate(db); // a no-op when the image already holds the schema
    return { db, drop: () => scanned(db, () => db.close()) };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const db = await openPostgres(url, poolSize);
  await migrate(db);
  return {
    db,
    url,
    drop: () =>
      scanned(db, async () => {
        await db.close();
        const c = new pg.Client({ connectionString: POSTGRES_URL });
        await c.connect();
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
        await c.end();
      }),
  };
}
