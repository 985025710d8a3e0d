/**
 * The cloud HTTP client's robustness rules against a local node:http server: what is retried
 * (5xx, connection errors, timeouts of requests that may be sent twice) and what is not (4xx, a
 * timed-out POST), and the per-cloud concurrency limit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ProviderError } from '../../src/providers/provider.ts';
import { HttpClient } from '../../src/providers/openstack/http-client.ts';
import { ConcurrencyLimiter } from '../../src/providers/openstack/limiter.ts';
import { FakeCloud, sendJson } from './fake-cloud.ts';

const FAST = { retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe('HttpClient', () => {
  let cloud: FakeCloud;
  before(async () => {
    cloud = await new FakeCloud().start();
    cloud.validTokens.add('t');
  });
  after(() => cloud.stop());

  const get = (http: HttpClient, path: string) => http.request({ method: 'GET', url: cloud.base + path, what: 'test', headers: { 'X-Auth-Token': 't' } });

  test('a 5xx is retried with backoff until it succeeds', async () => {
    let n = 0;
    cloud.on('GET', /^\/flaky$/, (_c, res) => (++n <= 2 ? sendJson(res, 503, { error: { message: 'busy' } }) : sendJson(res, 200, { ok: true })));
    const res = await get(new HttpClient({ timeoutMs: 2000, concurrency: 4, ...FAST }), '/flaky');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true });
    assert.equal(n, 3);
  });

  test('a 5xx that never ends is returned after the last retry', async () => {
    let n = 0;
    cloud.on('GET', /^\/down$/, (_c, res) => (n++, sendJson(res, 500, { error: { message: 'boom' } })));
    const res = await get(new HttpClient({ timeoutMs: 2000, concurrency: 4, ...FAST }), '/down');
    assert.equal(res.status, 500);
    assert.equal(n, FAST.retries + 1);
  });

  test('a 4xx is an answer: never retried', async () => {
    let n = 0;
    cloud.on('GET', /^\/bad$/, (_c, res) => (n++, sendJson(res, 400, { error: { message: 'no' } })));
    assert.equal((await get(new HttpClient({ timeoutMs: 2000, concurrency: 4, ...FAST }), '/bad')).status, 400);
    assert.equal(n, 1);
  });

  test('a connection reset is retried', async () => {
    let n = 0;
    cloud.on('GET', /^\/reset$/, (_c, res) => {
      if (++n === 1) res.socket?.destroy();
      else sendJson(res, 200, { ok: n });
    });
    const res = await get(new HttpClient({ timeoutMs: 2000, concurrency: 4, ...FAST }), '/reset');
    assert.equal(res.status, 200);
    assert.equal(n, 2);
  });

  test('an answer cut half-way is retried, with or without Connection: close (Keystone\'s calls say close)', async () => {
    for (const connection of ['keep-alive', 'close']) {
      let n = 0;
      cloud.on('POST', /^\/cut$/, (_c, res) => {
        if (++n > 1) return sendJson(res, 200, { ok: n });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"token": "half');
        setImmediate(() => res.socket?.destroy());
      });
      const http = new HttpClient({ timeoutMs: 2000, concurrency: 4, ...FAST });
      const res = await http.request({ method: 'POST', url: `${cloud.base}/cut`, what: 'keystone: authenticate', json: {}, headers: { Connection: connection, 'X-Auth-Token': 't' } });
      assert.deepEqual([res.status, n], [200, 2], `Connection: ${connection}`);
    }
  });

  test('connection refused is retried, then reported as UNAVAILABLE', async () => {
    // A port that was just free: nothing listens on it.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const http = new HttpClient({ timeoutMs: 2000, concurrency: 4, ...FAST });
    const t0 = Date.now();
    await assert.rejects(
      http.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, what: 'heat: show stack' }),
      (e: unknown) => e instanceof ProviderError && e.code === 'UNAVAILABLE' && /ECONNREFUSED after 4 attempts/.test(e.detail) && /not answering/.test(e.userMessage),
    );
    assert.ok(Date.now() - t0 >= 5 / 2 + 10 / 2 + 20 / 2 - 1, 'it backed off between attempts');
  });

  test('a POST with no answer times out and is not sent again: it may have been acted on', async () => {
    let n = 0;
    cloud.on('POST', /^\/hang$/, () => {
      n++; // never answers
    });
    const http = new HttpClient({ timeoutMs: 300, concurrency: 4, ...FAST });
    const t0 = Date.now();
    await assert.rejects(
      http.request({ method: 'POST', url: `${cloud.base}/hang`, what: 'test', json: {}, headers: { 'X-Auth-Token': 't' } }),
      (e: unknown) => e instanceof ProviderError && e.code === 'UNAVAILABLE' && /no answer within 300 ms$/.test(e.detail),
    );
    const took = Date.now() - t0;
    assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
    assert.equal(n, 1);
  });

  test('a read with no answer is sent again (twice is harmless), and given up after the last retry', async () => {
    let n = 0;
    cloud.on('GET', /^\/hang-then-answer$/, (_c, res) => {
      if (++n === 3) sendJson(res, 200, { ok: true }); // the first two are never answered
    });
    const http = new HttpClient({ timeoutMs: 300, concurrency: 4, ...FAST });
    assert.equal((await get(http, '/hang-then-answer')).status, 200);
    assert.equal(n, 3);

    let m = 0;
    cloud.on('GET', /^\/hang$/, () => {
      m++;
    });
    await assert.rejects(get(http, '/hang'), (e: unknown) => e instanceof ProviderError && e.code === 'UNAVAILABLE' && /no answer within 300 ms \(4 attempts\)/.test(e.detail));
    assert.equal(m, FAST.retries + 1);
  });

  test('a burst of 1,000 requests never has more than `concurrency` in flight', async () => {
    // Answers are held until 8 are waiting (or 50 ms pass): a client that let a 9th through would
    // be seen at once, and one that never reached 8 would be too.
    let held: Array<() => void> = [];
    cloud.on('GET', /^\/slow$/, (_c, res) => {
      held.push(() => sendJson(res, 200, {}));
      const flush = () => {
        const batch = held;
        held = [];
        for (const answer of batch) answer();
      };
      if (held.length >= 8) flush();
      else setTimeout(flush, 50);
    });
    cloud.maxInFlight = 0;
    const http = new HttpClient({ timeoutMs: 10_000, concurrency: 8, ...FAST });
    let seen = 0;
    const results = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const r = await get(http, '/slow');
        seen = Math.max(seen, http.limiter.inFlight);
        return r.status;
      }),
    );
    assert.equal(results.filter((s) => s === 200).length, 1000);
    assert.ok(cloud.maxInFlight <= 8, `server saw ${cloud.maxInFlight} at once`);
    assert.equal(cloud.maxInFlight, 8, 'the limit is used, not just respected');
    assert.ok(seen <= 8);
    assert.equal(http.limiter.inFlight, 0);
  });
});

describe('ConcurrencyLimiter', () => {
  test('runs in arrival order and releases its slot when a task throws', async () => {
    const lim = new ConcurrencyLimiter(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    const tasks = Array.from({ length: 20 }, (_, i) =>
      lim.run(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 1));
        active--;
        if (i % 5 === 0) throw new Error(`task ${i}`);
        return i;
      }),
    );
    const settled = await Promise.allSettled(tasks);
    assert.equal(peak, 2);
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    assert.equal(settled.filter((s) => s.status === 'rejected').length, 4);
    assert.equal(lim.inFlight, 0);
    assert.equal(lim.queued, 0);
    assert.throws(() => new ConcurrencyLimiter(0), RangeError);
  });
});
