import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Queryable } from '../../src/db/database.ts';
import { StackStore } from '../../src/db/stack-store.ts';
import { ActivityBatcher } from '../../src/services/activity-batcher.ts';
import { freshDatabase } from '../support/databases.ts';

test('keepalives that arrive together share one write, and each gets its own committed row', async () => {
  const t = await freshDatabase('pglite');
  try {
    const now = new Date('2026-04-01T08:00:00Z');
    const store = new StackStore(t.db);
    for (let i = 0; i < 50; i++) {
      const { stack } = await store.insertOrGet({ id: `s${i}`, learner: `l${i}`, context: 'c', lab: 'lab', run: 'r', providerStackName: `stacklab-s${i}-1`, suspendTimeout: 60 + i, deleteAge: 3600, launchTimeout: 900, now }, 't');
      if (i < 49) await store.transition({ id: stack.id, from: ['LAUNCH_PENDING'], to: 'READY', reason: 'test', actor: 't', now });
    }
    let statements = 0;
    const counting: Queryable = { query: (sql, params) => (statements++, t.db.query(sql, params)) };
    const batcher = new ActivityBatcher(new StackStore(counting), { maxBatch: 500, maxInFlight: 3 });
    const later = new Date(now.getTime() + 1000);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.touch(`s${i}`, later)));
    assert.equal(statements, 1, 'the keepalives did not share a write');
    for (let i = 0; i < 49; i++) assert.equal(results[i]!.suspendAt!.getTime(), later.getTime() + (60 + i) * 1000, `s${i} got the wrong deadline`);
    assert.equal(results[49], null, 'a stack that is not READY must take the general path');
    const stored = await store.get('s7');
    assert.equal(stored!.lastActivityAt.getTime(), later.getTime());
  } finally {
    await t.drop();
  }
});
