/**
 * The departure beacon's route: only a departure token for the learner's own stack is taken; the session,
 * a token of another kind, or one naming another learner's stack are refused and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signDepartureToken } from '../../src/http/departure-token.ts';
import { issueSession } from '../../src/http/session.ts';
import { roundTrips } from '../support/round-trips.ts';
import { testApp, type TestApp } from '../support/test-runtime.ts';

describe('POST /api/v1/departures', () => {
  let t: TestApp;
  let session: string;
  let stackId: string;
  before(async () => {
    t = await testApp({ departure_grace: 45 });
    await t.app.ready();
    session = await issueSession(t.rt.ctx.keys, { learner: 'ada', context: 'course', roles: ['Learner'] }, 3600);
    const launched = await t.app.inject({ method: 'POST', url: '/api/v1/me/labs/demo/launch', headers: { authorization: `Bearer ${session}` } });
    stackId = launched.json<{ id: string }>().id;
  });
  after(async () => t?.close());

  const beacon = (payload: string, contentType = 'text/plain;charset=UTF-8') => t.app.inject({ method: 'POST', url: '/api/v1/departures', headers: { 'content-type': contentType }, payload });

  test('the page gets a token with its session, and the beacon with it records the departure and its grace', async () => {
    const answer = await t.app.inject({ method: 'POST', url: `/api/v1/me/stacks/${stackId}/departure-token`, headers: { authorization: `Bearer ${session}` } });
    assert.equal(answer.statusCode, 200);
    const { token } = answer.json<{ token: string }>();
    const now = t.rt.clock.now();
    assert.equal((await beacon(token)).statusCode, 204);
    const stack = await t.rt.ctx.stacks.get(stackId);
    assert.equal(stack.departedAt?.getTime(), now.getTime());
    assert.equal(stack.departureSuspendAt?.getTime(), now.getTime() + 45_000);
    assert.equal((await beacon(JSON.stringify({ token }), 'application/json')).statusCode, 204, 'JSON {token} is taken too');
  });

  test('a beacon waits for two store round trips in a row: the route reads the stack, the departure is one write', async () => {
    const answer = await t.app.inject({ method: 'POST', url: `/api/v1/me/stacks/${stackId}/departure-token`, headers: { authorization: `Bearer ${session}` } });
    const { token } = answer.json<{ token: string }>();
    t.rt.clock.advance(5);
    const now = t.rt.clock.now();
    const { result, waves } = await roundTrips(t.rt.ctx.db).count(() => beacon(token));
    assert.equal(result.statusCode, 204);
    assert.equal((await t.rt.ctx.stacks.get(stackId)).departedAt?.getTime(), now.getTime());
    // It read the stack a second time before its write; a class's closing tabs waited for that too.
    assert.equal(waves, 2);
  });

  test('the session itself, a forged token or another learner\'s stack are refused', async () => {
    const before = (await t.rt.ctx.stacks.get(stackId)).departedAt;
    t.rt.clock.advance(10);
    assert.equal((await beacon(session)).statusCode, 401, 'a session is not a departure token');
    assert.equal((await beacon('')).statusCode, 401);
    assert.equal((await beacon('x'.repeat(5000))).statusCode, 401);
    const otherLearner = await signDepartureToken(t.rt.ctx.keys, { learner: 'mallory', stackId });
    assert.equal((await beacon(otherLearner)).statusCode, 404);
    assert.equal((await t.rt.ctx.stacks.get(stackId)).departedAt?.getTime(), before?.getTime(), 'nothing changed');
    const other = await issueSession(t.rt.ctx.keys, { learner: 'mallory', context: 'course', roles: ['Learner'] }, 3600);
    const foreign = await t.app.inject({ method: 'POST', url: `/api/v1/me/stacks/${stackId}/departure-token`, headers: { authorization: `Bearer ${other}` } });
    assert.equal(foreign.statusCode, 404, 'no token for another learner\'s stack');
  });
});
