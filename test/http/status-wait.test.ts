/**
 * The lab page's long-poll (GET /api/v1/me/stacks/:id?wait=&since=, issue 21) over real HTTP on both
 * backends: a waiting request answers as soon as its stack changes, whether another connection (as
 * another server process would) or this process's worker changed it; otherwise after its limit with the
 * status unchanged. It is authorised like the plain status read, and its waiter is let go when the
 * client goes away, when the server closes, and never held past the per-process cap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { StackStore } from '../../src/db/stack-store.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';
import { issueSession } from '../../src/http/session.ts';
import type { StackView } from '../../src/http/routes/learner-view.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, type TestApp } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const COURSE = 'wait-course';

/** The app listening on a free port, and its base URL. */
async function listening(t: TestApp): Promise<string> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function session(t: TestApp, learner: string): Promise<string> {
  return issueSession(t.rt.ctx.keys, { learner, context: COURSE, roles: ['Learner'] }, 600);
}

/** A READY stack of the learner's. */
async function readyStack(t: TestApp, learner: string): Promise<string> {
  const stack = await t.rt.ctx.stacks.launch({ learner, context: COURSE, lab: 'demo', actor: 'test' });
  await settle(t.rt);
  assert.equal((await t.rt.ctx.stacks.get(stack.id)).state, 'READY');
  return stack.id;
}

for (const backend of BACKENDS) {
  describe(`status wait on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let t: TestApp;
    let base = '';
    let ada = '';
    /** Another connection to the same store: PostgreSQL's own pool for it, as another process would have; PGlite has only one. */
    let other: Database;

    before(async () => {
      t = await testApp({}, { backend });
      base = await listening(t);
      ada = await session(t, 'ada');
      other = t.rt.url ? await openPostgres(t.rt.url, 1) : t.rt.ctx.db;
    });
    after(async () => {
      if (other && other !== t?.rt.ctx.db) await other.close();
      await t?.close();
    });

    const status = (id: string, token: string, query = '', signal?: AbortSignal) =>
      fetch(`${base}/api/v1/me/stacks/${id}${query}`, { headers: { authorization: `Bearer ${token}` }, signal });
    const waiters = () => t.rt.ctx.stacks.statusWaits.size;

    test('a waiting request answers as soon as another connection moves the stack', async () => {
      const id = await readyStack(t, 'ada');
      const before = (await (await status(id, ada)).json()) as StackView;
      const started = Date.now();
      const answer = status(id, ada, `?wait=20&since=${encodeURIComponent(before.version)}`);
      await eventually(() => (waiters() === 1 ? true : undefined), 5000, 'the request to wait');
      // No stacklab process event is involved: only the store's notification can wake the waiter.
      const moved = await new StackStore(other).transition({ id, from: ['READY'], to: 'SUSPEND_PENDING', reason: reason('history.suspendRequested'), actor: 'other-process', now: t.rt.clock.now() });
      assert.ok(moved, 'the other connection moved the stack');
      const response = await answer;
      assert.equal(response.status, 200);
      const after = (await response.json()) as StackView;
      assert.equal(after.state, 'SUSPEND_PENDING');
      assert.notEqual(after.version, before.version);
      assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms, not at once after the change`);
      assert.equal(waiters(), 0, 'the waiter is released with the answer');
      await settle(t.rt);
    });

    test("a waiting request answers when this process's worker resumes the stack", async () => {
      const [stack] = await t.rt.ctx.stacks.list({ learner: 'ada', context: COURSE, lab: 'demo', limit: 1 });
      assert.equal(stack.state, 'SUSPENDED');
      const resumed = (await (await fetch(`${base}/api/v1/me/stacks/${stack.id}/resume`, { method: 'POST', headers: { authorization: `Bearer ${ada}`, 'content-type': 'application/json' }, body: '{}' })).json()) as StackView;
      assert.equal(resumed.state, 'RESUME_PENDING');
      const answer = status(stack.id, ada, `?wait=20&since=${encodeURIComponent(resumed.version)}`);
      await eventually(() => (waiters() === 1 ? true : undefined), 5000, 'the request to wait');
      const settled = settle(t.rt);
      const after = (await (await answer).json()) as StackView;
      assert.notEqual(after.state, 'RESUME_PENDING');
      await settled;
    });

    test('a waiting request answers at once when the page has an older status, and with the same status after its limit', async () => {
      const id = await readyStack(t, 'cy');
      const cy = await session(t, 'cy');
      const started = Date.now();
      const stale = (await (await status(id, cy, '?wait=20&since=CREATING')).json()) as StackView;
      assert.equal(stale.state, 'READY');
      assert.ok(Date.now() - started < 5000, 'a status that differs is answered without waiting');
      const limitStarted = Date.now();
      const same = (await (await status(id, cy, `?wait=1&since=${encodeURIComponent(stale.version)}`)).json()) as StackView;
      assert.equal(same.version, stale.version);
      assert.ok(Date.now() - limitStarted >= 900, `answered after ${Date.now() - limitStarted} ms, before its 1 s limit`);
      assert.equal(waiters(), 0);
    });

    test("another learner's stack is refused, as the plain status read refuses it, and holds no waiter", async () => {
      const id = await readyStack(t, 'dee');
      const mallory = await session(t, 'mallory');
      const plain = await status(id, mallory);
      const waiting = await status(id, mallory, '?wait=20&since=READY');
      assert.equal(plain.status, 404);
      assert.equal(waiting.status, 404);
      assert.deepEqual(await waiting.json(), await plain.json());
      assert.equal(waiters(), 0);
      const bad = await status(id, mallory, '?wait=26&since=READY');
      assert.equal(bad.status, 400, 'a wait beyond the limit is refused');
      const noSince = await status(id, await session(t, 'dee'), '?wait=5');
      assert.equal(noSince.status, 400);
      assert.match(((await noSince.json()) as { detail: string }).detail, /wait needs since/);
    });

    test("a learner never registers a waiter on another learner's stack, not even for the moment of the ownership check", async () => {
      const id = await readyStack(t, 'dot');
      const mallory = await session(t, 'mallory');
      const waits = t.rt.ctx.stacks.statusWaits;
      const enter = waits.enter.bind(waits);
      const registered: string[] = [];
      waits.enter = (stackId: string, holder: string) => {
        registered.push(stackId);
        return enter(stackId, holder);
      };
      try {
        const responses = await Promise.all(Array.from({ length: 5 }, () => status(id, mallory, '?wait=20&since=READY')));
        assert.deepEqual(responses.map((r) => r.status), [404, 404, 404, 404, 404]);
        assert.deepEqual(registered, [], "a waiter was registered on another learner's stack");
      } finally {
        delete (waits as { enter?: unknown }).enter;
      }
      assert.equal(waiters(), 0);
    });

    test('a client that goes away releases its waiter', async () => {
      const id = await readyStack(t, 'eve');
      const eve = await session(t, 'eve');
      const abort = new AbortController();
      const answer = status(id, eve, '?wait=20&since=READY', abort.signal).catch((error: unknown) => error);
      await eventually(() => (waiters() === 1 ? true : undefined), 5000, 'the request to wait');
      abort.abort();
      assert.equal(((await answer) as Error).name, 'AbortError');
      await eventually(() => (waiters() === 0 ? true : undefined), 5000, 'the waiter to be released');
    });
  });
}

describe('status waits when the server closes, and at the cap', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ status_waiters: 1 });
  });
  after(async () => t?.close());

  test('one waiter past the cap is refused with 503; closing answers the waiting one with its unchanged status', async () => {
    const base = await listening(t);
    const id = await readyStack(t, 'fay');
    const fay = await session(t, 'fay');
    const get = () => fetch(`${base}/api/v1/me/stacks/${id}?wait=25&since=READY`, { headers: { authorization: `Bearer ${fay}` } });
    const waiting = get();
    await eventually(() => (t.rt.ctx.stacks.statusWaits.size === 1 ? true : undefined), 5000, 'the request to wait');
    const refused = await get();
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { code: string }).code, 'UNAVAILABLE');
    // Another learner asking to wait on fay's stack is told it is not theirs, full or not: ownership first.
    const mallory = await session(t, 'mallory');
    const foreign = await fetch(`${base}/api/v1/me/stacks/${id}?wait=25&since=READY`, { headers: { authorization: `Bearer ${mallory}` } });
    assert.equal(foreign.status, 404, "a full process answered another learner's stack with 503, so it tried to register a waiter first");
    const started = Date.now();
    await t.app.close();
    const answer = await waiting;
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as StackView).state, 'READY');
    assert.ok(Date.now() - started < 5000, 'closing does not wait out the 25 s');
    assert.equal(t.rt.ctx.stacks.statusWaits.size, 0);
  });
});

describe("status waits at one learner's cap", () => {
  let t: TestApp;
  let base = '';
  before(async () => {
    t = await testApp({ status_waiters: 3, status_waits_per_learner: 2 });
    base = await listening(t);
  });
  after(async () => t?.close());

  test("a learner's waits past their cap are answered at once, and leave the process's waiters to other learners", async () => {
    const gus = await session(t, 'gus');
    const hal = await session(t, 'hal');
    const gusStack = await readyStack(t, 'gus');
    const halStack = await readyStack(t, 'hal');
    const abort = new AbortController();
    const wait = (id: string, token: string) =>
      fetch(`${base}/api/v1/me/stacks/${id}?wait=20&since=READY`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal }).catch((error: unknown) => error);
    const waiting = [wait(gusStack, gus), wait(gusStack, gus)];
    await eventually(() => (t.rt.ctx.stacks.statusWaits.size === 2 ? true : undefined), 5000, "gus's two waits");
    const started = Date.now();
    const third = await fetch(`${base}/api/v1/me/stacks/${gusStack}?wait=20&since=READY`, { headers: { authorization: `Bearer ${gus}` } });
    assert.equal(third.status, 200);
    assert.equal(((await third.json()) as StackView).state, 'READY');
    assert.ok(Date.now() - started < 5000, `gus's third wait was held ${Date.now() - started} ms, past his cap`);
    assert.equal(t.rt.ctx.stacks.statusWaits.heldBy('gus'), 2);
    // The process has a place left, and it is hal's.
    waiting.push(wait(halStack, hal));
    await eventually(() => (t.rt.ctx.stacks.statusWaits.size === 3 ? true : undefined), 5000, "hal's wait");
    abort.abort();
    await Promise.all(waiting);
    await eventually(() => (t.rt.ctx.stacks.statusWaits.size === 0 ? true : undefined), 5000, 'the waiters to be released');
  });
});
