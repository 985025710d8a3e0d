/**
 * One process at a time on an embedded store. Two PGlite engines on one data folder each believe they
 * own it and overwrite each other's pages, so whoever opens the folder first holds `<folder>.lock` until
 * it closes the store or exits, and everyone else gets an error that names the holder.
 *
 * Node has no flock, so this is PostgreSQL's own postmaster.pid scheme: a lock file created exclusively
 * (a complete file linked into place, so nobody ever reads half of one) that records who holds it; a lock
 * whose process is gone (same host, pid dead or reused by a process that started later) is stale and is
 * taken over. Removing a stale lock happens only under `<folder>.lock.takeover`, itself created
 * exclusively, after reading the lock again, so two processes cleaning up after the same dead holder
 * cannot remove each other's fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, relative, resolve } from 'node:path';

export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
  /** The process's start in clock ticks since boot (/proc/<pid>/stat), to tell a reused pid from the holder. */
  procStart?: number;
  /** Unique per acquisition: a lock is ours only while the file still carries our nonce. */
  nonce: string;
}

export class StoreLockedError extends Error {
  constructor(
    readonly folder: string,
    readonly holder: LockHolder,
  ) {
    super(lockedMessage(folder, holder));
    this.name = 'StoreLockedError';
  }
}

export interface StoreLock {
  readonly path: string;
  readonly holder: LockHolder;
  release(): void;
}

/** A takeover is a few file operations; a guard older than this was left by a process that died in one. */
const ABANDONED_TAKEOVER_MS = 10_000;

export function lockPathFor(folder: string): string {
  return `${resolve(folder)}.lock`;
}

/** Takes the lock on `folder` for this process, or throws StoreLockedError naming the live holder. */
export function acquireStoreLock(folder: string, command = commandLine()): StoreLock {
  const path = lockPathFor(folder);
  mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = { pid: process.pid, hostname: hostname(), command, startedAt: new Date().toISOString(), procStart: procStart(process.pid), nonce: randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusively(path, JSON.stringify(holder, null, 2) + '\n')) {
      const lock = { path, holder, release: () => releaseIfOurs(path, holder.nonce) };
      exitReleases.add(lock);
      const release = lock.release;
      lock.release = () => {
        exitReleases.delete(lock);
        release();
      };
      return lock;
    }
    const current = readHolder(path);
    if (current === 'gone') continue;
    if (current !== 'unreadable' && isAlive(current)) throw new StoreLockedError(folder, current);
    removeStale(path, current);
  }
  throw new Error(`cannot take the lock ${path}: it keeps changing; another process is starting on the same embedded store`);
}

/** Who holds the lock on `folder` now (a live process), or null when nobody does. Takes nothing. */
export function storeLockHolder(folder: string): LockHolder | null {
  const current = readHolder(lockPathFor(folder));
  return typeof current === 'object' && isAlive(current) ? current : null;
}

export function lockedMessage(folder: string, holder: LockHolder): string {
  const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
  const shown = relative(process.cwd(), resolve(folder));
  const name = shown && !shown.startsWith('..') ? shown : resolve(folder);
  const stale = holder.hostname === hostname() ? '' : `; if that host no longer runs it, remove ${lockPathFor(folder)}`;
  return (
    `the embedded store in ${name} is held by \`${holder.command}\` (pid ${holder.pid}${where}, started ${holder.startedAt}); ` +
    `stop it, or use the CLI against the running server with --url/STACKLAB_URL, or set DATABASE_URL${stale}`
  );
}

function createExclusively(path: string, content: string): boolean {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  // Owner-only like everything else in the data folder (docs/security.md): it names the holder's command and pid.
  writeFileSync(temporary, content, { mode: 0o600 });
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

function readHolder(path: string): LockHolder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string' && typeof parsed.nonce === 'string') {
      return { command: 'unknown command', startedAt: 'at an unknown time', ...parsed } as LockHolder;
    }
  } catch {
    // Not ours (a lock file is always written whole): fall through.
  }
  return 'unreadable';
}

/** A holder on another host cannot be checked from here, so it counts as alive: refusing is the safe side. */
function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(holder.pid);
  if (stat === null) return true; // no /proc (macOS): the pid answering is all we can know
  if (stat.state === 'Z' || stat.state === 'X') return false; // killed, not yet reaped by its parent
  return holder.procStart === undefined || holder.procStart === stat.start;
}

function removeStale(path: string, judged: LockHolder | 'unreadable'): void {
  const guard = `${path}.takeover`;
  if (!createExclusively(guard, `${process.pid}\n`)) {
    clearAbandonedGuard(guard);
    return; // someone else is taking over; look again
  }
  try {
    const now = readHolder(path);
    const same = now === 'unreadable' ? judged === 'unreadable' : now !== 'gone' && judged !== 'unreadable' && now.nonce === judged.nonce;
    if (same) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
}

function clearAbandonedGuard(guard: string): void {
  try {
    if (Date.now() - statSync(guard).mtimeMs > ABANDONED_TAKEOVER_MS) unlinkSync(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function releaseIfOurs(path: string, nonce: string): void {
  const current = readHolder(path);
  if (typeof current === 'object' && current.nonce === nonce) {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function procStat(pid: number): { state: string; start: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: Number(fields[19]) };
}

function procStart(pid: number): number | undefined {
  return procStat(pid)?.start;
}

/** `stacklab serve --demo` rather than the node binary's path and the script's. */
function commandLine(): string {
  const script = process.argv[1] ? basename(process.argv[1]).replace(/\.(m?js|ts)$/, '') : 'node';
  return [script, ...process.argv.slice(2)].join(' ');
}

// A process that exits without closing its store (process.exit, an uncaught error) still lets go.
const exitReleases = new Set<StoreLock>();
process.on('exit', () => {
  for (const lock of exitReleases) lock.release();
});
