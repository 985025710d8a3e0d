/** The store's deployment id: generated once, kept, agreed on by processes starting together, and defended against a different configured id. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeploymentMismatchError, resolveDeployment } from '../../src/db/deployment.ts';
import { isDeploymentId } from '../../src/domain/deployment.ts';
import { BACKENDS, freshDatabase, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';

const pgUp = await postgresAvailable();

for (const backend of BACKENDS) {
  describe(`deployment id on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    test('a store without one gets a generated id once, and keeps it', async () => {
      const { db, drop } = await freshDatabase(backend);
      try {
        const first = await resolveDeployment(db);
        assert.ok(isDeploymentId(first), first);
        assert.equal(await resolveDeployment(db), first);
        assert.equal(await resolveDeployment(db, first), first, 'configuring the recorded id is fine');
      } finally {
        await drop();
      }
    });

    test('every fresh store gets its own id', async () => {
      const a = await freshDatabase(backend);
      const b = await freshDatabase(backend);
      try {
        assert.notEqual(await resolveDeployment(a.db), await resolveDeployment(b.db));
      } finally {
        await a.drop();
        await b.drop();
      }
    });

    test('processes starting at once on a fresh store agree on one id', async () => {
      const { db, drop } = await freshDatabase(backend);
      try {
        const ids = await Promise.all(Array.from({ length: 8 }, () => resolveDeployment(db)));
        assert.equal(new Set(ids).size, 1, ids.join(','));
      } finally {
        await drop();
      }
    });

    test('a configured id is recorded; another one later stops the start with a message that says what to do', async () => {
      const { db, drop } = await freshDatabase(backend);
      try {
        assert.equal(await resolveDeployment(db, 'staging'), 'staging');
        const error = await resolveDeployment(db, 'production').catch((e: unknown) => e);
        assert.ok(error instanceof DeploymentMismatchError, String(error));
        assert.match(error.message, /belongs to deployment 'staging'/);
        assert.match(error.message, /its own store/);
        assert.equal(await resolveDeployment(db), 'staging', 'the refused start changed nothing');
      } finally {
        await drop();
      }
    });

    test('an invalid or reserved configured id is refused before anything is written', async () => {
      const { db, drop } = await freshDatabase(backend);
      try {
        await assert.rejects(resolveDeployment(db, 'Has-Caps'), /not valid: use 4 to 12 lower-case letters/);
        await assert.rejects(resolveDeployment(db, 'labtests'), /reserved/);
        assert.deepEqual(await db.query('SELECT id FROM deployment'), []);
      } finally {
        await drop();
      }
    });
  });
}
