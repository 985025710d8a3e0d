/**
 * Several processes starting at once on one empty PostgreSQL database (serve and worker under systemd, or
 * a scaled-out worker set) must all come up: exactly one applies each migration and none fails. Each round
 * uses a fresh schema, since the race is in creating the first table.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { MIGRATIONS, migrate } from '../../src/db/migrations.ts';
import { POSTGRES_URL, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();
const STARTERS = 4;
const ROUNDS = 6;

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

test('starters racing on an empty PostgreSQL database all come up, and each migration is applied once', { skip: skipUnless(pgUp, `PostgreSQL does not answer at ${POSTGRES_URL}`) }, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const schema = `t_mig_${randomBytes(5).toString('hex')}`;
    await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
    const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const starters: Database[] = [];
    try {
      for (let i = 0; i < STARTERS; i++) starters.push(await openPostgres(url));
      // Each starter's connection is open before any begins, so their first statements meet.
      const results = await Promise.allSettled(starters.map((db) => migrate(db)));
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      assert.deepEqual(failures, [], `round ${round}: every starter migrates without error`);
      const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])).sort((a, b) => a - b);
      assert.deepEqual(applied, MIGRATIONS.map((m) => m.version).sort((a, b) => a - b), `round ${round}: each migration applied by exactly one starter`);
    } finally {
      for (const db of starters) await db.close();
      await admin((c) => c.query(`DROP SCHEMA ${schema} CASCADE`));
    }
  }
});
