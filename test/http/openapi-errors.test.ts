/**
 * The OpenAPI description documents each route's error answers: the `{code, message, detail}` shape
 * for every status the route can answer, with the codes it may carry, and every documented route is in
 * the table of route-specific errors (so a new route cannot go undocumented).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROUTE_ERRORS } from '../../src/http/error-responses.ts';
import { API_ERRORS } from '../../src/errors/api-errors.ts';
import { testApp, type TestApp } from '../support/test-runtime.ts';

interface Operation {
  responses: Record<string, { description?: string; content?: { 'application/json'?: { schema?: { properties?: Record<string, { enum?: string[] }>; required?: string[] } } } }>;
}

describe('OpenAPI error answers', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;
  before(async () => {
    t = await testApp();
    await t.app.ready();
    const answer = await t.app.inject({ url: '/docs/json' });
    assert.equal(answer.statusCode, 200);
    paths = answer.json().paths;
  });
  after(async () => t?.close());

  const operations = () =>
    Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, op })),
    );

  test('every documented route is in the table and answers errors in the {code, message, detail} shape', () => {
    const documented = operations();
    assert.ok(documented.length >= 20, `only ${documented.length} routes documented`);
    for (const { key, op } of documented) {
      assert.ok(key in ROUTE_ERRORS, `${key} has no entry in ROUTE_ERRORS (src/http/error-responses.ts)`);
      for (const status of ['400', '500']) {
        const schema = op.responses[status]?.content?.['application/json']?.schema;
        assert.ok(schema, `${key} documents no ${status}`);
        assert.deepEqual(Object.keys(schema.properties ?? {}).sort(), ['code', 'detail', 'message'], key);
        assert.deepEqual(schema.required, ['code', 'message']);
      }
    }
  });

  test("a route's own errors are there with their codes and what they mean", () => {
    const launch = paths['/api/v1/stacks']!.post!;
    const codes = (status: string) => launch.responses[status]?.content?.['application/json']?.schema?.properties?.code?.enum;
    assert.deepEqual(codes('404'), ['LAB_NOT_FOUND']);
    assert.deepEqual(codes('409')?.sort(), ['INVALID_STATE', 'STACK_LIMIT_REACHED', 'USAGE_LIMIT_REACHED']);
    assert.deepEqual(codes('429'), ['LAUNCH_RATE_LIMITED']);
    assert.deepEqual(codes('401'), ['UNAUTHORIZED']);
    assert.match(launch.responses['429']!.description!, new RegExp(`LAUNCH_RATE_LIMITED: ${API_ERRORS.LAUNCH_RATE_LIMITED.message.slice(0, 30)}`));
    const reset = paths['/api/v1/me/stacks/{id}/reset']!.post!;
    assert.ok(reset.responses['400']?.content?.['application/json']?.schema?.properties?.code?.enum?.includes('CONFIRMATION_REQUIRED'));
    // Public routes have no authentication answers.
    assert.equal(paths['/.well-known/jwks.json']!.get!.responses['401'], undefined);
  });

  test('an error answer still carries its detail through the response schema', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/api/v1/stacks?state=NOPE', headers: { authorization: 'Bearer test-token-0123456789abcdef' } });
    assert.equal(answer.statusCode, 400);
    assert.equal(answer.json().code, 'BAD_REQUEST');
    assert.match(answer.json().detail, /unknown state NOPE/);
  });
});
