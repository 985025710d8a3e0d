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

async function withAda(dataDir: string): Promise<void> {
  const added = await run(dataDir, ['add', 'ada', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /operator ada added/);
}

// Each CLI call starts a process and opens the store: two tests of a few calls each stay well inside the
// per-test limit on a busy machine, where one test of nine did not.
test('operator add and passwd on the embedded store: the store holds a scrypt hash of the password, refusals say what to do', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'operator-cli-'));
  await withAda(dataDir);
  const again = await run(dataDir, ['add', 'ada', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists already.*stacklab operator passwd ada/);
  const short = await run(dataDir, ['passwd', 'ada', '--password-stdin'], 'short\n');
  assert.equal(short.code, 1);
  assert.match(short.stderr, /too short: use a password of 12 to 1024 characters/);
  assert.equal((await run(dataDir, ['passwd', 'ada', '--password-stdin'], `${PASSWORD} 2\n`)).code, 0);

  const db = await openPglite(join(dataDir, 'pglite'));
  try {
    const [row] = await db.query<{ password_hash: string }>("SELECT password_hash FROM operators WHERE name = 'ada'");
    assert.equal(await verifyPassword(`${PASSWORD} 2`, row.password_hash), true);
  } finally {
    await db.close();
  }
});

test('operator list (as a table and as JSON, never a hash) and remove on the embedded store', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'operator-cli-'));
  await withAda(dataDir);
  assert.match((await run(dataDir, ['list'])).stdout, /^NAME +CREATED +PASSWORD SET\nada +\d{4}-/);
  const listed = JSON.parse((await run(dataDir, ['list', '-f', 'json'])).stdout) as Array<{ name: string }>;
  assert.deepEqual(listed.map((o) => o.name), ['ada'], 'the account as JSON');
  assert.equal(JSON.stringify(listed).includes('scrypt'), false, 'no password hash');

  assert.equal((await run(dataDir, ['remove', 'ada'])).code, 0);
  const gone = await run(dataDir, ['remove', 'ada']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /no operator named "ada": `stacklab operator list` shows them/);
  assert.match((await run(dataDir, ['list'])).stdout, /no operators yet/);
});
