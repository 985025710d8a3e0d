/**
 * Each machine token has one scope: the service token acts on stacks and labs, the admin token
 * registers LTI platforms and manages the tool's keys, the metrics token reads /metrics. With only the
 * service token configured it has all three, as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testApp, type TestApp } from '../support/test-runtime.ts';

const SERVICE = 'test-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const METRICS = 'metrics-token-0123456789abcdef';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const PLATFORM = {
  issuer: 'https://lms.example.org',
  client_id: 'c1',
  deployment_ids: ['1'],
  auth_login_url: 'https://lms.example.org/auth',
  token_url: 'https://lms.example.org/token',
  jwks_url: 'https://lms.example.org/jwks',
};

describe('token scopes', () => {
  let scoped: TestApp;
  let single: TestApp;
  let app: FastifyInstance;
  let oneToken: FastifyInstance;
  before(async () => {
    scoped = await testApp({ admin_token: ADMIN, metrics_token: METRICS });
    app = scoped.app;
    single = await testApp();
    oneToken = single.app;
  });
  after(async () => {
    await scoped?.close();
    await single?.close();
  });

  test('each token opens its own routes and no other', async () => {
    const calls = [
      { scope: 'service', method: 'GET', url: '/api/v1/labs' },
      { scope: 'service', method: 'POST', url: '/api/v1/stacks', payload: { learner: 'a', context: 'c', lab: 'demo' } },
      { scope: 'service', method: 'GET', url: '/api/v1/stacks' },
      { scope: 'admin', method: 'GET', url: '/api/v1/lti/platforms' },
      { scope: 'admin', method: 'PUT', url: '/api/v1/lti/platforms/lms', payload: PLATFORM },
      { scope: 'admin', method: 'GET', url: '/api/v1/lti/keys' },
      { scope: 'metrics', method: 'GET', url: '/metrics' },
    ] as const;
    const tokens = { service: SERVICE, admin: ADMIN, metrics: METRICS };
    for (const call of calls) {
      for (const [scope, token] of Object.entries(tokens)) {
        const response = await app.inject({ method: call.method, url: call.url, headers: bearer(token), ...('payload' in call ? { payload: call.payload } : {}) });
        if (scope === call.scope) assert.ok(response.statusCode < 300, `${scope} token on ${call.method} ${call.url}: ${response.statusCode} ${response.body}`);
        else {
          assert.equal(response.statusCode, 403, `${scope} token on ${call.method} ${call.url}`);
          assert.equal(response.json().code, 'FORBIDDEN');
        }
      }
      const none = await app.inject({ method: call.method, url: call.url, headers: bearer('not-a-token-0123456789') });
      assert.equal(none.statusCode, 401);
    }
  });

  test('with only the service token configured, it has every scope', async () => {
    for (const url of ['/api/v1/labs', '/api/v1/lti/platforms', '/metrics']) {
      assert.equal((await oneToken.inject({ url, headers: bearer(SERVICE) })).statusCode, 200, url);
    }
  });
});
