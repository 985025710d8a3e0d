/**
 * Backups and upgrades of the embedded store, through the real `stacklab` command: an upgrade's
 * `stacklab migrate` copies the store before changing it, the copy is listed, and `stacklab store
 * restore` rolls the store back to it (schema and data), moving the upgraded store aside. A store in
 * use is not restored over, and a PostgreSQL deployment is told to use pg_dump.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { openPglite, type Database } from '../../src/db/database.ts';
import { MIGRATIONS, migrate } from '../../src/db/migrations.ts';

const REPO = resolve(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/stacklab.js');
const NEWEST = MIGRATIONS.at(-1)!.version;
/** The version before it (versions need not be consecutive: a number may be taken by a migration still on a branch). */
const PREVIOUS = MIGRATIONS.at(-2)!.version;

async function stacklab(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, STACKLAB_DATA_DIR: dataDir, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

async function schemaVersion(db: Database): Promise<number> {
  return Number((await db.query<{ v: number }>('SELECT max(version) AS v FROM schema_migrations'))[0]!.v);
}

describe('backups and upgrades of the embedded store (stacklab migrate, store backup|list|restore)', { concurrency: false }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stacklab-backup-'));
  const store = join(dataDir, 'pglite');
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  let copy: string;

  test("an upgrade's migrate copies the store first, then migrates it", async () => {
    // The store as the previous release left it: one migration behind, with the deployment's id in it.
    const db = await openPglite(store);
    await migrate(db, MIGRATIONS.slice(0, -1));
    await db.query(`INSERT INTO deployment (id) VALUES ('prevrel1')`);
    await db.close();

    const { code, out } = await stacklab(dataDir, ['migrate']);
    assert.equal(code, 0, out);
    const copied = /copied the store first, to roll back to: (\S+)/.exec(out);
    assert.ok(copied, out);
    copy = copied[1]!;
    assert.match(copy, new RegExp(`backups/store-.*-before-migration-${NEWEST}\\.tar\\.gz$`));
    assert.equal(statSync(copy).mode & 0o777, 0o600, 'the copy is the owner\'s only');
    assert.equal(statSync(join(dataDir, 'backups')).mode & 0o777, 0o700);
    assert.match(out, new RegExp(`applied migrations ${NEWEST}`));

    const again = await stacklab(dataDir, ['migrate']);
    assert.doesNotMatch(again.out, /copied the store/, 'nothing to change: no copy');
    const list = await stacklab(dataDir, ['store', 'list']);
    assert.ok(list.out.includes(copy), list.out);
  });

  test('restore rolls the store back to the copy: its schema and its data; the upgraded store is kept aside', async () => {
    const upgraded = await openPglite(store);
    assert.equal(await schemaVersion(upgraded), NEWEST);
    await upgraded.query(`UPDATE deployment SET id = 'newrel22'`);
    await upgraded.close();

    const { code, out } = await stacklab(dataDir, ['store', 'restore', copy]);
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`restored .*: schema version ${PREVIOUS}`));
    const aside = /the store that was there is kept at (\S+)/.exec(out)?.[1];
    assert.ok(aside && existsSync(aside), out);

    const back = await openPglite(store);
    try {
      assert.equal(await schemaVersion(back), PREVIOUS, 'the schema the previous release knows');
      assert.deepEqual(await back.query(`SELECT id FROM deployment`), [{ id: 'prevrel1' }], 'the data as it was');
    } finally {
      await back.close();
    }
  });

  test('a store in use is not restored over; a missing copy is named', async () => {
    const holder = await openPglite(store);
    try {
      const busy = await stacklab(dataDir, ['store', 'restore', copy]);
      assert.notEqual(busy.code, 0);
      assert.match(busy.out, /in use|held by|lock/i, busy.out);
    } finally {
      await holder.close();
    }
    const missing = await stacklab(dataDir, ['store', 'restore', join(dataDir, 'nope.tar.gz')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.out, /no backup at .*nope\.tar\.gz; the copies are in .*backups/);
  });

  test('a PostgreSQL deployment is told to use pg_dump', async () => {
    const { code, out } = await stacklab(dataDir, ['store', 'backup'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    assert.notEqual(code, 0);
    assert.match(out, /PostgreSQL.*pg_dump -Fc/);
  });
});
