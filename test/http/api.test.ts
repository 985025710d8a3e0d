import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { API_ERRORS } from '../../src/errors/api-errors.ts';
import { publicStack } from '../../src/http/routes/stacks.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('REST API', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    rt = await testRuntime({ providers: [new FakeProvider('fake')], labs: [testLab()] });
    app = await buildApp(rt.ctx);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  test('health and readiness answer without a token', async () => {
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    const ready = await app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().store, 'pglite');
  });

  test('service calls need the bearer token', async () => {
    const none = await app.inject({ url: '/api/v1/labs' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'UNAUTHORIZED');
    const wrong = await app.inject({ url: '/api/v1/labs', headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.statusCode, 401);
    const ok = await app.inject({ url: '/api/v1/labs', headers: auth });
    assert.deepEqual(ok.json().labs.map((l: { id: string }) => l.id), ['demo']);
  });

  test('launch is idempotent, and a stack never shows its private key or password', async () => {
    const body = { learner: 'alice', context: 'course-v1:Org+C+R', lab: 'demo' };
    const first = await app.inject({ method: 'POST', url: '/api/v1/stacks', headers: auth, payload: body });
    const second = await app.inject({ method: 'POST', url: '/api/v1/stacks', headers: auth, payload: body });
    assert.equal(first.statusCode, 200);
    assert.equal(first.json().id, second.json().id);
    await settle(rt);
    const shown = await app.inject({ url: `/api/v1/stacks/${first.json().id}`, headers: auth });
    assert.equal(shown.json().state, 'READY');
    assert.equal(shown.json().publicIp, '192.0.2.10');
    assert.ok(!shown.body.includes('FAKE KEY') && !shown.body.includes('fake-password'), 'a secret reached the API');
    // The compiled serializer must say exactly what JSON.stringify of the public view says: no field lost
    // to the response schema, dates as ISO strings, outputs as they are.
    const expected = JSON.parse(JSON.stringify(publicStack(await rt.ctx.stacks.get(first.json().id))));
    assert.deepEqual(shown.json(), expected);
    assert.ok(Object.keys(expected.outputs).length > 0 && expected.suspendAt, 'the comparison covers outputs and nullable dates');
    const events = await app.inject({ url: `/api/v1/stacks/${first.json().id}/events`, headers: auth });
    assert.deepEqual(events.json().events.map((e: { toState: string }) => e.toState), ['LAUNCH_PENDING', 'CREATING', 'READY']);
  });

  test('keepalive, suspend, resume, reset and delete go through the lifecycle', async () => {
    const [stack] = await rt.ctx.stacks.list({ learner: 'alice' });
    const id = stack!.id;
    const first = (await app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/keepalive`, headers: auth })).json();
    assert.equal(first.state, 'READY');
    const again = (await app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/keepalive`, headers: auth })).json();
    assert.deepEqual(Object.keys(again), Object.keys(first), 'an answer from the cache must have the same shape');
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/suspend`, headers: auth })).json().state, 'SUSPEND_PENDING');
    await settle(rt);
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/resume`, headers: auth })).json().state, 'RESUME_PENDING');
    await settle(rt);
    const noConfirm = await app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/reset`, headers: auth, payload: {} });
    assert.equal(noConfirm.statusCode, 400);
    assert.equal(noConfirm.json().code, 'CONFIRMATION_REQUIRED');
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/reset`, headers: auth, payload: { confirm: 'RESET' } })).json().state, 'DELETE_PENDING');
    await settle(rt);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/stacks/${id}`, headers: auth })).json().state, 'DELETE_PENDING');
    await settle(rt);
    const list = await app.inject({ url: '/api/v1/stacks?state=DELETED&lab=demo', headers: auth });
    assert.deepEqual(list.json().stacks.map((s: { id: string }) => s.id), [id]);
  });

  test('errors come from the catalogue with stable codes', async () => {
    const missing = await app.inject({ url: '/api/v1/stacks/nope', headers: auth });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'STACK_NOT_FOUND');
    assert.equal(missing.json().message, API_ERRORS.STACK_NOT_FOUND.message);
    // The log detail (here the stack id asked for) stays in the log; clients get the code and the sentence.
    assert.deepEqual(Object.keys(missing.json()).sort(), ['code', 'message']);
    const badLab = await app.inject({ method: 'POST', url: '/api/v1/stacks', headers: auth, payload: { learner: 'a', context: 'c', lab: 'nope' } });
    assert.equal(badLab.json().code, 'LAB_NOT_FOUND');
    const invalid = await app.inject({ method: 'POST', url: '/api/v1/stacks', headers: auth, payload: { learner: 'a' } });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().code, 'BAD_REQUEST');
    const badState = await app.inject({ url: '/api/v1/stacks?state=BOGUS', headers: auth });
    assert.equal(badState.statusCode, 400);
    const wrongMove = await app.inject({ method: 'POST', url: `/api/v1/stacks/${(await rt.ctx.stacks.list({}))[0]!.id}/suspend`, headers: auth });
    assert.equal(wrongMove.json().code, 'INVALID_STATE');
  });

  test('/metrics counts stacks per state, for the operator only', async () => {
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401);
    const metrics = await app.inject({ url: '/metrics', headers: auth });
    assert.match(metrics.body, /stacklab_stacks\{state="DELETED"\} 1/);
    assert.match(metrics.body, /stacklab_stacks\{state="READY"\} 0/);
    // The first keepalive of the lifecycle test waited for its write; the second came from the cache.
    assert.match(metrics.body, /stacklab_keepalives_total\{answered="after_write"\} 1/);
    assert.match(metrics.body, /stacklab_keepalives_total\{answered="from_cache"\} 1/);
  });

  test('the OpenAPI document lists the stack routes', async () => {
    const doc = await app.inject({ url: '/docs/json' });
    assert.equal(doc.statusCode, 200);
    assert.ok(Object.keys(doc.json().paths).includes('/api/v1/stacks/{id}/keepalive'));
  });
});
