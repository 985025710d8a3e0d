/**
 * Copies of the embedded store (PGlite): taken before migrations change its shape, on request with
 * `stacklab store backup`, and put back with `stacklab store restore`. A PostgreSQL store is backed up
 * with PostgreSQL's own tools (docs/operations.md, "Backups and upgrades").
 *
 * A copy is PGlite's dump of its whole data folder (a gzipped tarball), so it holds every stack, event,
 * check and grade. The secrets in it stay encrypted with the deployment's key (data/secret.key or
 * STACKLAB_SECRET_KEY), which is not in the copy: without the key a copy is useless to a thief, and
 * without the key a restore cannot decrypt them either, so back the key up apart from the copies.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openPgliteOn, type Database } from './database.ts';
import { MIGRATIONS, pendingMigrations } from './migrations.ts';
import { acquireStoreLock } from './store-lock.ts';

/** Where the copies of a store in `<data_dir>/pglite` go: `<data_dir>/backups`, the owner's alone. */
export function backupFolder(pgliteDir: string): string {
  return join(dirname(pgliteDir), 'backups');
}

/** `2026-12-02T11-40-05Z`: sortable, and a valid file name everywhere. */
function stamp(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** Writes a copy of an open embedded store; returns its path. */
export async function backupEmbeddedStore(db: Database, pgliteDir: string, label: string, now = new Date()): Promise<string> {
  if (!db.dumpDataDir) throw new Error('only the embedded store (PGlite) is copied by stacklab; back up PostgreSQL with pg_dump (docs/operations.md)');
  const folder = backupFolder(pgliteDir);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const file = join(folder, `store-${stamp(now)}-${label}.tar.gz`);
  const dump = await db.dumpDataDir();
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()), { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * Before migrations change an embedded store that holds data: a copy to roll back to. Null when there
 * is nothing to copy (a new store) or nothing will change.
 */
export async function backupBeforeMigrations(db: Database, pgliteDir: string): Promise<string | null> {
  if (db.kind !== 'pglite') return null;
  const pending = await pendingMigrations(db);
  if (pending.length === 0 || pending.length === MIGRATIONS.length) return null;
  return backupEmbeddedStore(db, pgliteDir, `before-migration-${pending[0]!.version}`);
}

export interface Restored {
  /** Where the store that was replaced now is (nothing is deleted). */
  previous: string | null;
  /** The newest migration the restored store has: the stacklab release that wrote it understands it. */
  schemaVersion: number;
}

/**
 * Puts a copy back as the embedded store. Refused while a server, worker or CLI holds the store
 * (its lock). The current store is moved aside, not deleted.
 */
export async function restoreEmbeddedStore(file: string, pgliteDir: string, now = new Date()): Promise<Restored> {
  if (!existsSync(file)) throw new Error(`no backup at ${file}; the copies are in ${backupFolder(pgliteDir)}`);
  const lock = acquireStoreLock(pgliteDir);
  let previous: string | null = null;
  try {
    if (existsSync(pgliteDir)) {
      previous = join(dirname(pgliteDir), `${basename(pgliteDir)}.before-restore-${stamp(now)}`);
      renameSync(pgliteDir, previous);
    }
    mkdirSync(pgliteDir, { recursive: true, mode: 0o700 });
    const blob = new Blob([readFileSync(file)]);
    const db = await openPgliteOn(new PGlite(pgliteDir, { loadDataDir: blob }));
    try {
      const rows = await db.query<{ version: number | null }>(`SELECT max(version) AS version FROM schema_migrations`);
      return { previous, schemaVersion: Number(rows[0]?.version ?? 0) };
    } finally {
      await db.close();
    }
  } catch (error) {
    // Nothing half-done stays: the store that was there goes back in place.
    rmSync(pgliteDir, { recursive: true, force: true });
    if (previous) renameSync(previous, pgliteDir);
    throw new Error(`restore of ${file} failed, and the store is as it was: ${(error as Error).message}`, { cause: error });
  } finally {
    lock.release();
  }
}
