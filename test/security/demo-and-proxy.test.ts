/**
 * Demo sign-in answers only on loopback unless demo_remote is set; names without latin letters get
 * learners of their own. Forwarded headers are ignored unless trust_proxy is set, so a request cannot
 * choose the URLs (the LTI redirect URI) the server builds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { demoLearnerId } from '../../src/http/routes/demo.ts';
import { testApp, type TestApp } from '../support/test-runtime.ts';

test('names without latin letters no longer collapse into one learner', () => {
  const ids = ['日本語', '中文', 'Ελένη', '123', '!!!', '  日本語  '].map(demoLearnerId);
  assert.equal(new Set(ids.slice(0, 5)).size, 5);
  assert.equal(ids[5], ids[0], 'the same name is the same learner');
  assert.equal(demoLearnerId('Alice Smith'), 'demo:alice-smith');
});

describe('demo sign-in and proxy headers', () => {
  let local: TestApp;
  let remote: TestApp;
  let app: FastifyInstance;
  let remoteApp: FastifyInstance;
  before(async () => {
    local = await testApp({ demo: true });
    app = local.app;
    remote = await testApp({ demo: true, demo_remote: true, trust_proxy: true });
    remoteApp = remote.app;
  });
  after(async () => {
    await local?.close();
    await remote?.close();
  });

  test('demo sign-in: loopback only, unless configured; a forwarded address does not count', async () => {
    const signIn = (target: FastifyInstance, remoteAddress: string, headers: Record<string, string> = {}) =>
      target.inject({ method: 'POST', url: '/demo/sign-in', payload: { name: 'Alice' }, remoteAddress, headers });
    assert.equal((await signIn(app, '127.0.0.1')).statusCode, 200);
    assert.equal((await signIn(app, '::1')).statusCode, 200);
    const refused = await signIn(app, '203.0.113.9');
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().message, /STACKLAB_DEMO_REMOTE/);
    assert.equal((await signIn(app, '203.0.113.9', { 'x-forwarded-for': '127.0.0.1' })).statusCode, 403);
    assert.equal((await signIn(remoteApp, '203.0.113.9')).statusCode, 200);
  });

  test('X-Forwarded-Host and -Proto choose the LTI URLs only with trust_proxy', async () => {
    const headers = { host: 'stacklab.example.org', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
    const untrusted = (await app.inject({ url: '/lti/config', headers })).json();
    assert.equal(untrusted.launch_url, 'http://stacklab.example.org/lti/launch');
    const trusted = (await remoteApp.inject({ url: '/lti/config', headers })).json();
    assert.equal(trusted.launch_url, 'https://evil.example/lti/launch');
  });
});
