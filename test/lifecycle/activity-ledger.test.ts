import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { ChannelListener, Database } from '../../src/db/database.ts';
import { STACK_CHANGED_CHANNEL } from '../../src/db/stack-changes.ts';
import { listenPostgres } from '../../src/db/pg-listener.ts';
import { StackStore } from '../../src/db/stack-store.ts';
import type { Stack } from '../../src/domain/stack.ts';
import { ActivityLedger } from '../../src/services/activity-ledger.ts';
import { ReadyStackCache } from '../../src/services/ready-stack-cache.ts';
import { BACKENDS, freshDatabase, postgresAvailable, type Backend } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testLab, testRuntime } from '../support/test-runtime.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';

const start = new Date('2026-04-01T08:00:00Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Stacks s0..s(n-2) READY and the last one still LAUNCH_PENDING, with suspend timeouts 60 + i. On
 * PostgreSQL, notifications are per database, not per schema, so other tests' stacks are announced here
 * too: `mine` tells this test's announcements apart.
 */
const prefix = `${randomBytes(3).toString('hex')}-`;
const mine = (ids: string[]) => ids.filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
const sid = (i: number) => `${prefix}s${i}`;

async function seed(db: Database, n: number): Promise<StackStore> {
  const store = new StackStore(db);
  for (let i = 0; i < n; i++) {
    const { stack } = await store.insertOrGet(
      { id: sid(i), learner: `l${i}`, context: 'c', lab: 'lab', run: 'r', providerStackName: `stacklab-s${i}-1`, suspendTimeout: 60 + i, deleteAge: 3600, launchTimeout: 900, now: start },
      't',
    );
    if (i === n - 1) continue;
    // Along the transition table, as a worker would: the store and the database refuse a shortcut.
    await store.transition({ id: stack.id, from: ['LAUNCH_PENDING'], to: 'CREATING', reason: reason('history.claimedByWorker'), actor: 't', now: start });
    await store.transition({ id: stack.id, from: ['CREATING'], to: 'READY', reason: reason('history.created'), actor: 't', now: start });
  }
  return store;
}

/** Counts the announcements on the channel, besides feeding the cache. */
function counting(cache: ReadyStackCache): ChannelListener & { messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    message: (id) => (messages.push(id), cache.message(id)),
    listening: () => cache.listening(),
    gap: () => cache.gap(),
  };
}

/** A fresh database with `stacks` seeded stacks, and a cache that listens for their changes. */
async function listeningWorld(backend: Backend, stacks: number) {
  const t = await freshDatabase(backend);
  const cache = new ReadyStackCache(1000);
  const listener = counting(cache);
  const store = await seed(t.db, stacks);
  // Listening starts after seeding, so the seed's own announcements cannot empty the cache later.
  const stop = await t.db.listen(STACK_CHANGED_CHANNEL, listener);
  return {
    t,
    cache,
    store,
    messages: listener.messages,
    async close() {
      await stop();
      await t.drop();
    },
  };
}

for (const backend of BACKENDS) {
  describe(`keepalive write-behind (${backend})`, { skip: await skipReason(backend) }, () => {
    test('the first keepalive of each stack waits for one shared write; later ones are answered from the cache and written behind', async () => {
      const { t, cache, store, close } = await listeningWorld(backend, 50);
      try {
        let statements = 0;
        const countingStore = new StackStore({ query: (sql, params, options) => (statements++, t.db.query(sql, params, options)) });
        const notReady: string[] = [];
        const ledger = new ActivityLedger({ store: countingStore, cache, notReady: async (id) => notReady.push(id) });

        const first = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.touch(sid(i), at(1), 'test')));
        assert.equal(statements, 1, 'the waiting keepalives did not share one write');
        for (let i = 0; i < 49; i++) assert.equal(first[i]!.suspendAt!.getTime(), at(1 + 60 + i).getTime(), `s${i} got the wrong deadline`);
        assert.equal(first[49], null, 'a stack that is not READY must take the general path');
        assert.equal(cache.size, 49, 'the READY rows the write returned fill the cache');

        const second = await Promise.all(Array.from({ length: 49 }, (_, i) => ledger.touch(sid(i), at(30), 'test')));
        assert.equal(ledger.unwritten, 49, 'answers from the cache must not wait for their write');
        assert.equal((await store.get(sid(7)))!.lastActivityAt.getTime(), at(1).getTime(), 'nothing is written yet');
        await ledger.drain();
        assert.equal(statements, 2, 'the written-behind keepalives did not share one write');
        for (let i = 0; i < 49; i++) assert.deepEqual(second[i], await store.get(sid(i)), `the answer for s${i} differs from what the store then holds`);
        assert.deepEqual(notReady, []);

        // A request still in flight at shutdown gets its answer instead of hanging.
        cache.gap();
        await ledger.close();
        const late = await ledger.touch(sid(1), at(40), 'test');
        assert.equal(late?.lastActivityAt.getTime(), at(40).getTime());
      } finally {
        await close();
      }
    });

    test('a change made elsewhere is announced and reaches the cache; keepalive writes are not announced', async () => {
      const { t, cache, messages, close } = await listeningWorld(backend, 3);
      const other = await otherConnection(t.db, t.url);
      try {
        const ledger = new ActivityLedger({ store: new StackStore(t.db), cache, notReady: async () => undefined });
        await ledger.touch(sid(0), at(1), 'test');
        await ledger.touch(sid(0), at(2), 'test');
        await ledger.drain();
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(mine(messages), [], 'keepalive writes must not be announced');
        assert.ok(cache.get(sid(0)));

        // As a worker in another process would: a plain UPDATE, no stacklab code involved.
        await other.query(`UPDATE stacks SET state = 'SUSPEND_PENDING' WHERE id = '${sid(0)}'`);
        await until('the change is announced', () => mine(messages).includes('s0'));
        assert.equal(cache.get(sid(0)), undefined);
        assert.equal(await ledger.touch(sid(0), at(3), 'test'), null, 'the keepalive must see that the stack is not READY');
      } finally {
        await other.close();
        await close();
      }
    });

    test('a stack that stopped being READY before the cache heard of it goes to the general path once its write leaves it out', async () => {
      const { t, cache, store, close } = await listeningWorld(backend, 2);
      try {
        const notReady: Array<[string, number, string]> = [];
        const ledger = new ActivityLedger({ store, cache, notReady: async (id, when, actor) => notReady.push([id, when.getTime(), actor]) });
        await ledger.touch(sid(0), at(1), 'test');
        // The change is made unannounced, standing in for a notification still on its way.
        await t.db.transaction(async (tx) => {
          await tx.query(`SELECT set_config('stacklab.activity_only', 'on', true)`);
          await tx.query(`UPDATE stacks SET state = 'SUSPEND_PENDING' WHERE id = '${sid(0)}'`);
        });
        const answer = await ledger.touch(sid(0), at(5), 'alice');
        assert.equal(answer?.state, 'READY', 'the cache still held the stack, so it answered');
        await ledger.drain();
        assert.deepEqual(notReady, [[sid(0), at(5).getTime(), 'alice']]);
        assert.equal(cache.get(sid(0)), undefined, 'the cache must forget a stack its write left out');
      } finally {
        await close();
      }
    });

    test('a failed write closes the fast path until a write succeeds, and the activity is written later', async () => {
      const { t, cache, store, close } = await listeningWorld(backend, 3);
      try {
        let refuse = 0;
        const flaky = new StackStore({
          query: (sql, params, options) => (refuse > 0 && refuse-- ? Promise.reject(new Error('connection reset')) : t.db.query(sql, params, options)),
        });
        const ledger = new ActivityLedger({ store: flaky, cache, notReady: async () => undefined });
        await ledger.touch(sid(0), at(1), 'test');
        refuse = 1;
        assert.ok(await ledger.touch(sid(0), at(2), 'test'), 'answered from the cache');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(refuse, 0, 'the write was attempted');
        assert.equal(ledger.unwritten, 1, 'the refused activity must be kept');
        refuse = 1;
        await assert.rejects(ledger.touch(sid(0), at(3), 'test'), /connection reset/, 'while writes fail, keepalives must wait for the store and see its error');
        const answer = await ledger.touch(sid(0), at(4), 'test');
        assert.equal(answer?.lastActivityAt.getTime(), at(4).getTime());
        await ledger.drain();
        assert.equal(ledger.unwritten, 0);
        assert.equal((await store.get(sid(0)))!.lastActivityAt.getTime(), at(4).getTime());
      } finally {
        await close();
      }
    });
  });
}

describe('keepalive write-behind: a lost notification connection (postgres)', { skip: await skipReason('postgres') }, () => {
  test('listening counts only once a notification sent from another session arrives (not behind a transaction-pooling proxy)', async () => {
    const t = await freshDatabase('postgres');
    const events: string[] = [];
    const record: ChannelListener = { message: () => undefined, listening: () => events.push('listening'), gap: (error) => events.push(`gap: ${error.message}`) };
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    try {
      // A probe that never arrives, as behind PgBouncer in transaction mode: the start goes on, the cache stays off.
      const deaf = await listenPostgres(t.url!, STACK_CHANGED_CHANNEL, record, { probe: async () => undefined, probeTimeoutMs: 100 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await deaf();
      assert.ok(!events.includes('listening'), 'a listener that hears nothing must not count as listening');
      assert.match(events[0] ?? '', /gap: .*transaction-pooling/);
      events.length = 0;
      const heard = await listenPostgres(t.url!, STACK_CHANGED_CHANNEL, record, { probe: async (payload) => void (await admin.query('SELECT pg_notify($1, $2)', [STACK_CHANGED_CHANNEL, payload])) });
      await heard();
      assert.deepEqual(events, ['listening']);
    } finally {
      await admin.end();
      await t.drop();
    }
  });

  test('while the listener is reconnecting the cache answers nothing, so a change made meanwhile is never hidden', async () => {
    const t = await freshDatabase('postgres');
    const cache = new ReadyStackCache(1000);
    const name = `stacklab_test_${randomBytes(4).toString('hex')}`;
    await seed(t.db, 2);
    const stop = await listenPostgres(`${t.url!}&application_name=${name}`, STACK_CHANGED_CHANNEL, cache);
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    try {
      const ledger = new ActivityLedger({ store: new StackStore(t.db), cache, notReady: async () => undefined });
      await ledger.touch(sid(0), at(1), 'test');
      assert.ok(cache.get(sid(0)));
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);
      await until('the listener notices', () => !cache.coherentNow);
      await admin.query(`UPDATE stacks SET state = 'SUSPENDED' WHERE id = '${sid(0)}'`);
      assert.equal(await ledger.touch(sid(0), at(2), 'test'), null, 'a keepalive during the gap must read the store');
      await until('the listener is back', () => cache.coherentNow);
      await admin.query(`UPDATE stacks SET state = 'READY' WHERE id = '${sid(0)}'`);
      // The announcement of that UPDATE may arrive after a keepalive filled the cache, and empty it again.
      await until('after reconnecting, the cache fills again', async () => (await ledger.touch(sid(0), at(3), 'test'), cache.get(sid(0)) !== undefined));
    } finally {
      await admin.end();
      await stop();
      await t.drop();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`keepalive write-behind in a runtime (${backend})`, { skip: await skipReason(backend) }, () => {
    test('repeat keepalives are answered from the cache, and the sweeps of the same process see them', async () => {
      const rt = await testRuntime({ backend, providers: [new FakeProvider('fake')], labs: [testLab()] });
      try {
        const stack = await rt.ctx.stacks.launch({ learner: 'ann', context: 'c', lab: 'demo', actor: 'test' });
        await settle(rt);
        assert.ok(rt.ctx.stacks.readyCache.coherentNow, 'the runtime must listen for stack changes');
        await rt.ctx.stacks.keepalive(stack.id, 'test');
        rt.clock.advance(100);
        await rt.ctx.stacks.keepalive(stack.id, 'test');
        assert.equal(rt.ctx.stacks.activityLedger.unwritten, 1, 'the second keepalive must be answered before its write');
        rt.clock.advance(100); // past the first keepalive's deadline (120 s), not the second's
        await rt.scheduler.run('suspender');
        assert.equal((await rt.ctx.stacks.get(stack.id)).state, 'READY', 'the suspender judged by activity older than this process acknowledged');
      } finally {
        await rt.close();
      }
    });
  });
}

describe('ready-stack cache', () => {
  const row = (id: string) => ({ id, state: 'READY', suspendAt: start, deleteBy: start }) as unknown as Stack;

  test('a read that was under way when its stack changed does not put the old row back', () => {
    const cache = new ReadyStackCache(10);
    cache.listening();
    cache.beginRead(['a', 'b']);
    cache.message('a');
    cache.endRead(['a', 'b'], [row('a'), row('b')]);
    assert.equal(cache.get('a'), undefined);
    assert.ok(cache.get('b'));
    cache.beginRead(['a']);
    cache.endRead(['a'], [row('a')]);
    assert.ok(cache.get('a'), 'the next read fills it again');
  });

  test('reads that began before listening, or across a gap, are not trusted; nothing is answered during a gap', () => {
    const cache = new ReadyStackCache(10);
    cache.beginRead(['a']);
    cache.listening();
    cache.endRead(['a'], [row('a')]);
    assert.equal(cache.get('a'), undefined, 'began before listening');
    cache.beginRead(['b']);
    cache.gap();
    cache.listening();
    cache.endRead(['b'], [row('b')]);
    assert.equal(cache.get('b'), undefined, 'spanned a gap');
    cache.beginRead(['c']);
    cache.endRead(['c'], [row('c')]);
    cache.gap();
    assert.equal(cache.get('c'), undefined, 'a gap empties the cache');
  });

  test('holds at most its capacity, and only READY stacks with deadlines', () => {
    const cache = new ReadyStackCache(2);
    cache.listening();
    cache.beginRead(['a', 'b', 'c', 'd', 'e']);
    cache.endRead(['a', 'b', 'c', 'd', 'e'], [row('a'), row('b'), row('c'), { ...row('d'), state: 'SUSPENDED' }, { ...row('e'), suspendAt: null }]);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), undefined, 'the oldest entry goes first');
    assert.equal(cache.get('d'), undefined);
    assert.equal(cache.get('e'), undefined);
  });
});

async function skipReason(backend: Backend): Promise<string | false> {
  return backend === 'pglite' ? false : skipUnless(await postgresAvailable(), 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)');
}

/** Another session on the same database, as another process would have (PGlite has only one). */
async function otherConnection(db: Database, url: string | undefined): Promise<{ query(sql: string): Promise<unknown>; close(): Promise<void> }> {
  if (!url) return { query: (sql) => db.query(sql), close: async () => undefined };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return { query: (sql) => client.query(sql), close: () => client.end() };
}
