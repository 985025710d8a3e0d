/**
 * One process at a time on an embedded store (src/db/store-lock.ts), proven with real processes: a second
 * opener is refused with a message that names the holder, a SIGKILLed holder's lock is taken over, and of
 * several processes racing for a dead holder's lock exactly one wins.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { openPglite } from '../../src/db/database.ts';
import { acquireStoreLock, lockPathFor, StoreLockedError, storeLockHolder } from '../../src/db/store-lock.ts';

const REPO = resolve(import.meta.dirname, '../..');
const FIXTURE = join(REPO, 'test/store/fixtures/hold-store.ts');
const children: ChildProcess[] = [];
const folders: string[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-lock-'));
  folders.push(dir);
  return dir;
}

function holder(mode: 'open' | 'race', folder: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, folder], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

/** Resolves with the first line the child prints; rejects if it exits first or says nothing in time. */
function nextLine(child: ChildProcess, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffer = '';
    const timer = setTimeout(() => done(new Error(`no line from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const end = buffer.indexOf('\n');
      if (end >= 0) done(null, buffer.slice(0, end));
    };
    const onExit = (code: number | null, signal: string | null) => done(new Error(`pid ${child.pid} exited (${code ?? signal}) before saying anything`));
    const done = (error: Error | null, line?: string) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolveLine(line!);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

const exited = (child: ChildProcess) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));

async function stacklab(data: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, STACKLAB_DATA_DIR: data, DATABASE_URL: '', STACKLAB_PROVIDERS: 'none', STACKLAB_LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(REPO, 'bin/stacklab.js'), ...args], { cwd: REPO, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('a second process is refused with a message that names the holder and what to do', async () => {
  const data = dataDir();
  const folder = join(data, 'pglite');
  const child = holder('open', folder);
  assert.equal(await nextLine(child), `held ${child.pid}`);

  const second = await stacklab(data, 'migrate');
  assert.equal(second.code, 1, second.stdout);
  assert.match(
    second.stderr,
    new RegExp(`the embedded store in \\S*pglite is held by \`hold-store open \\S+\` \\(pid ${child.pid}, started \\d{4}-[^)]+\\); stop it, or use the CLI against the running server with --url/STACKLAB_URL, or set DATABASE_URL`),
  );
  // The same in-process, where the error carries the holder.
  await assert.rejects(openPglite(folder), (error: unknown) => error instanceof StoreLockedError && error.holder.pid === child.pid);
  assert.equal(storeLockHolder(folder)?.pid, child.pid);
  child.kill('SIGTERM');
  await exited(child);
  assert.equal(existsSync(lockPathFor(folder)), false, 'a holder that exits lets go of its lock');
});

test("a SIGKILLed holder's lock is taken over, and the store it left opens", async () => {
  const data = dataDir();
  const folder = join(data, 'pglite');
  const child = holder('open', folder);
  await nextLine(child);
  child.kill('SIGKILL');
  await exited(child);
  assert.equal(JSON.parse(readFileSync(lockPathFor(folder), 'utf8')).pid, child.pid, 'the killed holder left its lock behind');
  assert.equal(storeLockHolder(folder), null, 'a dead holder holds nothing');

  const migrate = await stacklab(data, 'migrate');
  assert.equal(migrate.code, 0, migrate.stderr);
  assert.match(migrate.stdout, /applied migrations|up to date/);
  assert.equal(existsSync(lockPathFor(folder)), false, 'the CLI released the lock it took over');
});

test("of several processes racing for a dead holder's lock, exactly one wins", async () => {
  const folder = join(dataDir(), 'pglite');
  const dead = spawn(process.execPath, ['-e', '']);
  await exited(dead);
  writeFileSync(lockPathFor(folder), JSON.stringify({ pid: dead.pid, hostname: hostname(), command: 'gone', startedAt: new Date().toISOString(), nonce: 'dead' }));
  const racers = Array.from({ length: 5 }, () => holder('race', folder));
  for (const racer of racers) assert.equal(await nextLine(racer), 'ready');
  const answers = racers.map((racer) => nextLine(racer));
  for (const racer of racers) racer.stdin!.write('go\n');
  const said = await Promise.all(answers);
  assert.deepEqual([...said].sort(), ['held', 'refused', 'refused', 'refused', 'refused']);
  const winner = racers[said.indexOf('held')]!;
  assert.equal(storeLockHolder(folder)?.pid, winner.pid);
});

test('a lock is released on close; a pid now used by a later process, or a holder on another host, are told apart', async (t) => {
  const folder = join(dataDir(), 'pglite');
  const db = await openPglite(folder);
  await assert.rejects(openPglite(folder), StoreLockedError, 'the same process cannot open the folder twice either');
  await db.close();
  assert.equal(existsSync(lockPathFor(folder)), false);

  const elsewhere = { pid: 4242, hostname: 'another-host', command: 'stacklab serve', startedAt: '2026-01-01T00:00:00.000Z', nonce: 'far' };
  writeFileSync(lockPathFor(folder), JSON.stringify(elsewhere));
  assert.throws(() => acquireStoreLock(folder), (error: Error) => /held by `stacklab serve` \(pid 4242 on host another-host/.test(error.message) && error.message.includes(`remove ${lockPathFor(folder)}`));

  if (!existsSync('/proc/self/stat')) return t.skip('no /proc here: a reused pid cannot be told from its holder');
  // Our parent is alive, but it did not start at the time the lock records: the pid was reused.
  writeFileSync(lockPathFor(folder), JSON.stringify({ ...elsewhere, pid: process.ppid, hostname: hostname(), procStart: 1 }));
  const lock = acquireStoreLock(folder);
  assert.equal(storeLockHolder(folder)?.pid, process.pid);
  lock.release();
  assert.equal(existsSync(lockPathFor(folder)), false);
});
