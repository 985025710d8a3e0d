import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testApp, testLab, type TestApp } from '../support/test-runtime.ts';

const auth = { authorization: 'Bearer test-token-0123456789abcdef' };

describe('GET /api/v1/pools', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({}, { labs: [testLab({ id: 'pooled', pool: { size: 2, state: 'running', perRun: false, runs: [] } }), testLab({ id: 'plain' })] });
  });
  after(async () => t?.close());

  test('needs the API token, and shows each pool with what it holds', async () => {
    assert.equal((await t.app.inject({ url: '/api/v1/pools' })).statusCode, 401);
    const empty = await t.app.inject({ url: '/api/v1/pools', headers: auth });
    assert.deepEqual(empty.json(), { pools: [{ lab: 'pooled', run: '', size: 2, state: 'running', ready: 0, filling: 0, stale: 0 }] });
    await t.rt.scheduler.runJob('warm pools');
    const filling = await t.app.inject({ url: '/api/v1/pools', headers: auth });
    assert.deepEqual(filling.json().pools[0], { lab: 'pooled', run: '', size: 2, state: 'running', ready: 0, filling: 2, stale: 0 });
  });
});
