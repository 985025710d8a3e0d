/**
 * The data folder holds the embedded store (with the LTI platform registrations and the sealed stack
 * secrets), the master key and the API token: only the server's own user may read or change any of it.
 * The folder is made 0700 and everything in it 0700 (folders) / 0600 (files). PGlite creates its files
 * with the process umask, often 0666, so the pass runs again after the store is opened and migrated
 * and when it closes; a file it makes in between is still behind the 0700 folder.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** What the server keeps in the data folder; anything else an operator put there is left as it is. */
export const DATA_ENTRIES = ['pglite', 'secret.key', 'api-token'];

/** Creates `dir` if needed and takes every permission for group and others away from it and the server's entries in it. */
export function makePrivate(dir: string, entries: string[] = DATA_ENTRIES): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
  for (const entry of entries) restrict(join(dir, entry), 0);
}

function restrict(path: string, depth: number): void {
  const info = lstatSync(path, { throwIfNoEntry: false });
  // Symbolic links are left alone: chmod would follow them out of the folder.
  if (!info || info.isSymbolicLink() || depth > 64) return;
  if (info.isDirectory()) {
    if ((info.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
    for (const entry of readdirSync(path)) restrict(join(path, entry), depth + 1);
  } else if (info.isFile() && (info.mode & 0o077) !== 0) {
    chmodSync(path, info.mode & PRIVATE_FILE_MODE);
  }
}
