/**
 * Every route, enumerated from the app itself (so a new route is covered the day it is added), gets a
 * battery of bad input: NUL characters in every path parameter, query field and body field, values of
 * the wrong type for every field a route declares, bodies that are too large, not JSON or of a type
 * no parser takes, and URLs with broken percent-encoding. Each must answer 4xx in the
 * `{code, message, detail}` shape (the LTI browser pages: 4xx in HTML), never 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, registeredRoutes, type RouteEntry } from '../../src/http/app.ts';
import { API_ERRORS as ERRORS } from '../../src/errors/api-errors.ts';
import { issueSession } from '../../src/http/session.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const TOKEN = 'test-token-0123456789abcdef';
const BODY_LIMIT = 4096;
const NUL = 'x\u0000y';
/** Names every route of the app reads from a query or a body, today; a NUL goes into each. */
const FIELDS = ['learner', 'context', 'lab', 'run', 'state', 'status', 'name', 'server', 'confirm', 'issuer', 'client_id', 'iss', 'login_hint', 'target_link_uri',
  'lti_message_hint', 'lti_deployment_id', 'lti_storage_target', 'stacklab_storage', 'stacklab_binding', 'id_token', 'request', 'access', 'cols', 'rows', 'wait', 'limit', 'offset',
  'publish_lead_seconds', 'keep_seconds'];
/** Values of the wrong type for any field (a string where a number is wanted, an object where a string is). */
const WRONG_TYPES: unknown[] = [{ toString: 1 }, 'not-a-number', -1e308];
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Outcome {
  route: string;
  case: string;
  status: number;
  body: string;
  type: string;
}

describe('bad input to every route answers 4xx in the error shape', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let session: string;
  let stackId: string;
  const outcomes: Outcome[] = [];

  before(async () => {
    rt = await testRuntime({ providers: [new FakeProvider('fake')], labs: [testLab()], overrides: { demo: true, body_limit: BODY_LIMIT } });
    app = await buildApp(rt.ctx);
    await app.ready();
    session = await issueSession(rt.ctx.keys, { learner: 'alice', context: 'course', roles: ['Learner'] }, 600);
    stackId = (await rt.ctx.stacks.launch({ learner: 'alice', context: 'course', lab: 'demo', actor: 'test' })).id;
    await settle(rt);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  function authFor(url: string): Record<string, string> {
    if (url.startsWith('/api/v1/me')) return { authorization: `Bearer ${session}` };
    if (url.startsWith('/api/v1') || url === '/metrics') return { authorization: `Bearer ${TOKEN}` };
    return {};
  }

  /** The route's URL with its parameters filled in: `value` for the one at `index`, good values for the rest. */
  function fill(route: RouteEntry, value?: string, index = -1): string {
    let i = -1;
    return route.url.replace(/:[A-Za-z_]+|\*/g, (name) => {
      i++;
      if (i === index && value !== undefined) return value;
      if (name === ':id') return stackId;
      if (name === ':lab' || name === ':labId') return 'demo';
      if (name === '*') return 'images/a.png';
      return 'demo';
    });
  }

  async function send(route: RouteEntry, label: string, options: InjectOptions): Promise<void> {
    const response = await app.inject({ method: route.method as InjectOptions['method'], ...options, headers: { ...authFor(route.url), ...options.headers } });
    outcomes.push({ route: `${route.method} ${route.url}`, case: label, status: response.statusCode, body: response.body, type: String(response.headers['content-type'] ?? '') });
  }

  function routes(): RouteEntry[] {
    return registeredRoutes(app).filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS');
  }

  test('the app lists its routes', () => {
    const urls = routes().map((r) => `${r.method} ${r.url}`);
    assert.ok(urls.length >= 30, `only ${urls.length} routes found`);
    for (const expected of ['POST /api/v1/stacks', 'POST /api/v1/me/stacks/:id/connections', 'POST /lti/launch', 'POST /demo/sign-in', 'GET /gateway/stacks/:id/terminal']) {
      assert.ok(urls.includes(expected), `${expected} is not among the routes`);
    }
  });

  test('NUL characters, wrong types, bad JSON, huge and unparsable bodies, bad URLs', { timeout: 600_000 }, async () => {
    for (const route of routes()) {
      const params = route.url.match(/:[A-Za-z_]+|\*/g) ?? [];
      for (let i = 0; i < params.length; i++) {
        await send(route, `NUL in path ${params[i]}`, { url: fill(route, 'x%00y', i) });
        await send(route, `bad percent-encoding in path ${params[i]}`, { url: fill(route, 'x%zz%E0%A4%A', i) });
      }
      await send(route, 'NUL in every query field', { url: `${fill(route)}?${FIELDS.map((f) => `${f}=x%00y`).join('&')}` });
      if (!WRITES.has(route.method)) continue;
      for (const field of FIELDS) {
        await send(route, `NUL in JSON body ${field}`, { url: fill(route), payload: { [field]: NUL } });
        for (const wrong of WRONG_TYPES) await send(route, `${JSON.stringify(wrong)} as body ${field}`, { url: fill(route), payload: { [field]: wrong, confirm: 'RESET' } });
      }
      await send(route, 'NUL in every form field', { url: fill(route), payload: FIELDS.map((f) => `${f}=x%00y`).join('&'), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await send(route, 'NUL in a body key', { url: fill(route), payload: { [NUL]: 'x' } });
      await send(route, 'bad JSON', { url: fill(route), payload: '{"learner": ', headers: { 'content-type': 'application/json' } });
      await send(route, 'empty JSON', { url: fill(route), payload: '', headers: { 'content-type': 'application/json' } });
      await send(route, 'JSON that is not an object', { url: fill(route), payload: '[1,2]', headers: { 'content-type': 'application/json' } });
      await send(route, 'body over the limit', { url: fill(route), payload: JSON.stringify({ name: 'x'.repeat(BODY_LIMIT) }), headers: { 'content-type': 'application/json' } });
      await send(route, 'form over the limit', { url: fill(route), payload: `a=${'x'.repeat(300 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await send(route, 'unsupported content type', { url: fill(route), payload: '<a/>', headers: { 'content-type': 'application/xml' } });
    }
    const problems: string[] = [];
    for (const o of outcomes) {
      const where = `${o.route} [${o.case}] -> ${o.status}`;
      if (o.status >= 500) problems.push(`${where}: ${o.body.slice(0, 200)}`);
      if (o.status < 400) continue;
      if (o.type.startsWith('text/html') && o.route.includes(' /lti/')) continue;
      let body: { code?: unknown; message?: unknown; detail?: unknown };
      try {
        body = JSON.parse(o.body) as typeof body;
      } catch {
        problems.push(`${where}: not JSON: ${o.body.slice(0, 100)}`);
        continue;
      }
      if (typeof body.code !== 'string' || !(body.code in ERRORS) || typeof body.message !== 'string' || !['string', 'undefined'].includes(typeof body.detail)) {
        problems.push(`${where}: not {code, message, detail}: ${o.body.slice(0, 200)}`);
      }
    }
    const mustRefuse = outcomes.filter((o) => /NUL|bad JSON|over the limit|unsupported content type|JSON that is not/.test(o.case) && o.status < 400);
    for (const o of mustRefuse) problems.push(`${o.route} [${o.case}] was accepted with ${o.status}`);
    console.log(`${outcomes.length} bad requests to ${routes().length} routes; ${problems.length} problems`);
    assert.deepEqual(problems, []);
  });
});
