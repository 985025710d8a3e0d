/**
 * Without public_url the LTI URLs (the redirect URI among them) come from each request's Host header.
 * On a loopback address only this machine can send one; on any other address, anyone who reaches the
 * server can, so `serve` warns at start. A real `stacklab serve` on 0.0.0.0 (an ephemeral port, stopped
 * once it listens) must print the warning in its log; the rule itself is checked for the other addresses.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { publicUrlWarning } from '../../src/cli/serve-command.ts';

test('the rule: warn off loopback without public_url, never with it', () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10', 'labs.example.edu']) assert.match(publicUrlWarning({ host }) ?? '', /public_url is unset while listening on/, host);
  for (const host of ['127.0.0.1', '127.0.1.1', '::1', '[::1]', 'localhost']) assert.equal(publicUrlWarning({ host }), undefined, host);
  assert.equal(publicUrlWarning({ host: '0.0.0.0', public_url: 'https://labs.example.edu' }), undefined);
});

test('stacklab serve on 0.0.0.0 without public_url logs the warning at start', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stacklab-public-url-'));
  const child = spawn(process.execPath, ['bin/stacklab.js', 'serve', '--no-worker'], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { ...process.env, STACKLAB_DATA_DIR: dataDir, PORT: '0', STACKLAB_HOST: '0.0.0.0', STACKLAB_PUBLIC_URL: '', STACKLAB_PROVIDERS: '[]', STACKLAB_LOG_FORMAT: 'json', STACKLAB_LOG_LEVEL: 'info', STACKLAB_LABS_DIR: 'labs', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    await new Promise<void>((listening, failed) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('stacklab listening')) listening();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => failed(new Error(`serve exited with ${code}: ${output.slice(-2000)}`)));
    });
    const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string });
    const warning = lines.find((line) => line.msg.includes('public_url is unset'));
    assert.ok(warning, `no warning in the log:\n${output.slice(-2000)}`);
    assert.equal(warning.level, 40, 'logged as a warning');
    assert.match(warning.msg, /listening on 0\.0\.0\.0: LTI URLs are built from each request's Host header; set STACKLAB_PUBLIC_URL/);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
