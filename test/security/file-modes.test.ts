/**
 * A real `stacklab serve` on the embedded store, started with umask 000 (the worst an operator's shell
 * can hand it): the data folder must be 0700 and every file the server keeps there 0600, both while it
 * runs and after it stopped, so nobody else on the machine can read the key or rewrite the store.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';

function modes(dir: string): { path: string; mode: number; dir: boolean }[] {
  const found: { path: string; mode: number; dir: boolean }[] = [];
  const walk = (path: string) => {
    const info = statSync(path);
    found.push({ path, mode: info.mode & 0o777, dir: info.isDirectory() });
    if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(dir);
  return found;
}

function loose(dataDir: string): string[] {
  return modes(dataDir)
    .filter((f) => f.path !== join(dataDir, 'operator-notes.txt'))
    .filter((f) => (f.dir ? f.mode !== 0o700 : (f.mode & 0o077) !== 0))
    .map((f) => `${f.path.slice(dataDir.length)} ${f.mode.toString(8)}`);
}

test('the data folder, the key, the token and the embedded store are the owner’s only', { timeout: 120_000 }, async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'stacklab-modes-')), 'data');
  const child = spawn('sh', ['-c', 'umask 000; exec node bin/stacklab.js serve --no-worker'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...process.env, STACKLAB_DATA_DIR: dataDir, PORT: '0', STACKLAB_HOST: '127.0.0.1', STACKLAB_PROVIDERS: '[]', STACKLAB_LOG_FORMAT: 'json', STACKLAB_LABS_DIR: 'labs' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    const started = new Promise<void>((resolveStarted, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('stacklab listening')) resolveStarted();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output.slice(-2000)}`)));
    });
    await started;
    const files = modes(dataDir);
    assert.ok(files.some((f) => f.path.endsWith('secret.key')) && files.some((f) => f.path.endsWith('api-token')), 'the key and the token are there');
    assert.ok(files.filter((f) => f.path.includes('/pglite/') && !f.dir).length > 100, 'the embedded store is there');
    assert.deepEqual(loose(dataDir), [], 'while the server runs');
    // Something of the operator's in the folder is not the server's to change.
    writeFileSync(join(dataDir, 'operator-notes.txt'), 'mine', { mode: 0o644 });
    child.kill('SIGTERM');
    await once(child, 'exit');
    assert.deepEqual(loose(dataDir), [], 'after it stopped');
    assert.equal(statSync(join(dataDir, 'operator-notes.txt')).mode & 0o777, 0o644);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(resolve(dataDir, '..'), { recursive: true, force: true });
  }
});
