/**
 * The provider-faults campaign's proxy (chaos/fault-proxy.ts) in front of the scripted cloud of the
 * client's unit tests: each fault does what it says, before or after the cloud saw the request, and
 * is counted; Keystone's catalog and Heat's redirects are rewritten so every call goes through it.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { FaultProxy, NO_FAULTS, parseRates, type FaultRates } from '../../../chaos/fault-proxy.ts';
import { createOpenStackProvider } from '../../../src/providers/openstack/provider.ts';
import { FakeCloud, PROJECT, heatStack, sendJson } from '../../openstack/fake-cloud.ts';

/**
 * Chance as a script: each call takes the next number, then "no fault" for ever. With the tests' rates
 * of 0.2 each, a roll in [0, 0.2) is an error, [0.2, 0.4) no answer, [0.4, 0.6) slow, [0.6, 0.8) a
 * drop, and above that nothing; the roll after an error or no answer says before (< 0.5) or after.
 */
function scripted(...rolls: number[]): () => number {
  return () => rolls.shift() ?? 0.999;
}

describe('the fault proxy', () => {
  let cloud: FakeCloud;
  const proxies: FaultProxy[] = [];

  before(async () => {
    cloud = await new FakeCloud().start();
    cloud.validTokens.add('t');
    cloud.on('GET', /^\/ping$/, (_c, res) => sendJson(res, 200, { pong: 'x'.repeat(2000) }));
  });
  beforeEach(() => {
    cloud.calls.length = 0;
  });
  after(async () => {
    for (const p of proxies) await p.stop();
    await cloud.stop();
  });

  async function proxy(random: () => number, rates: FaultRates = { error: 0.2, timeout: 0.2, slow: 0.2, drop: 0.2 }, slowMs: [number, number] = [300, 300]): Promise<FaultProxy> {
    const p = await new FaultProxy({ rates, random, slowMs }).start();
    proxies.push(p);
    return p;
  }

  const ping = (p: FaultProxy, timeoutMs = 2000) => fetch(p.url(`${cloud.base}/ping`), { headers: { 'X-Auth-Token': 't' }, signal: AbortSignal.timeout(timeoutMs) });
  const pings = () => cloud.calls.filter((c) => c.path === '/ping').length;

  test('without a fault the answer is the cloud\'s, byte for byte', async () => {
    const p = await proxy(scripted(0.999));
    const res = await ping(p);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { pong: string }).pong.length, 2000);
    assert.equal(pings(), 1);
    assert.deepEqual([p.requests, p.passed, p.injected], [1, 1, 0]);
  });

  test('a 5xx before the cloud sees the request, and one that replaces the answer of a request it acted on', async () => {
    // 0.1: an error; 0.2: before the cloud; 0.3: which 5xx. Then an error again, after.
    const p = await proxy(scripted(0.1, 0.2, 0.3, 0.1, 0.7, 0.9));
    const before = await ping(p);
    assert.ok(before.status >= 500 && before.status <= 504, `status ${before.status}`);
    assert.match(await before.text(), /injected HTTP 5\d\d/);
    assert.equal(pings(), 0, 'the cloud saw a request the proxy refused');
    const afterAnswer = await ping(p);
    assert.ok(afterAnswer.status >= 500);
    await afterAnswer.arrayBuffer();
    assert.equal(pings(), 1, 'an error "after" must reach the cloud first');
    assert.equal(p.counts['error-before'], 1);
    assert.equal(p.counts['error-after'], 1);
  });

  test('no answer at all: the client gives up on its own; "after" means the cloud acted', async () => {
    // 0.3: no answer, before the cloud (0.2); then again, after (0.7).
    const p = await proxy(scripted(0.3, 0.2, 0.3, 0.7));
    const t0 = Date.now();
    await assert.rejects(ping(p, 400), (e: Error) => e.name === 'TimeoutError');
    assert.ok(Date.now() - t0 >= 390);
    assert.equal(pings(), 0);
    await assert.rejects(ping(p, 400), (e: Error) => e.name === 'TimeoutError');
    assert.equal(pings(), 1);
    assert.deepEqual([p.counts['timeout-before'], p.counts['timeout-after']], [1, 1]);
  });

  test('a slow answer comes, late', async () => {
    const p = await proxy(scripted(0.5), undefined, [400, 400]);
    const t0 = Date.now();
    const res = await ping(p);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.ok(Date.now() - t0 >= 390, `answered after ${Date.now() - t0} ms`);
    assert.equal(p.counts.slow, 1);
  });

  test('a dropped connection: the status arrives, the body is cut, and the cloud did act', async () => {
    const p = await proxy(scripted(0.7));
    const res = await ping(p);
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), (e: Error & { cause?: { code?: string } }) => e.cause?.code === 'UND_ERR_SOCKET' || /terminated/.test(e.message));
    assert.equal(pings(), 1);
    assert.equal(p.counts.drop, 1);
  });

  test('an outage refuses everything with a 503, and nothing reaches the cloud', async () => {
    const p = await proxy(scripted(), NO_FAULTS);
    p.outage = true;
    for (let i = 0; i < 3; i++) assert.equal((await ping(p)).status, 503);
    assert.equal(pings(), 0);
    assert.equal(p.counts.outage, 3);
  });

  test('rates come from flags, and faults happen at about their rates', async () => {
    assert.deepEqual(parseRates('error=0.1, drop=0.2'), { error: 0.1, timeout: 0, slow: 0, drop: 0.2 });
    assert.throws(() => parseRates('error=0.7,drop=0.5'), /more than 1/);
    assert.throws(() => parseRates('lag=0.1'), /bad fault rate 'lag=0.1'/);
    assert.throws(() => parseRates('error=2'), /bad fault rate/);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const p = await proxy(random, { error: 0.3, timeout: 0, slow: 0, drop: 0 });
    for (let i = 0; i < 200; i++) await (await ping(p)).arrayBuffer();
    const errors = p.counts['error-before'] + p.counts['error-after'];
    assert.ok(errors > 35 && errors < 85, `${errors} errors in 200 at a rate of 0.3`);
    assert.equal(p.requests, 200);
    assert.equal(p.passed + errors, 200);
  });

  test('the catalog and the redirects point at the proxy, so every Heat call goes through it', async () => {
    const p = await proxy(scripted(), NO_FAULTS);
    const ID = '11111111-2222-4333-8444-555555555555';
    cloud.on('GET', /^\/heat\/v1\/[^/]+\/stacks\/stacklab-proxied$/, (_c, res) => sendJson(res, 302, {}, { Location: `${cloud.heatUrl}/stacks/stacklab-proxied/${ID}` }));
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks/stacklab-proxied/${ID}$`), (_c, res) => sendJson(res, 200, heatStack('stacklab-proxied', ID, 'CREATE_COMPLETE', { public_ip: '192.0.2.9' })));
    const provider = createOpenStackProvider(
      'proxied',
      { auth: { auth_url: p.url(cloud.authUrl), username: 'demo', password: 'demopass', project_name: 'demo' }, region: 'RegionOne' },
      undefined,
      { retry: { retries: 0 }, sources: { env: {} } },
    );
    const stack = await provider.get({ id: '', name: 'stacklab-proxied' });
    assert.equal(stack?.outputs.public_ip, '192.0.2.9');
    assert.equal(await provider.session.endpoint('orchestration'), p.url(cloud.heatUrl));
    assert.ok(p.url(cloud.heatUrl).startsWith('http://127.0.0.1:') && !p.url(cloud.heatUrl).startsWith(cloud.base));
    // token, by-name GET, the GET it redirected to: all through the proxy.
    assert.equal(p.requests, cloud.calls.length);
    assert.equal(p.requests, 3);
  });
});
