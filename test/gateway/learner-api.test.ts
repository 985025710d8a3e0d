/**
 * The learner API and pages over HTTP (inject): sessions, own-stack checks, reset confirmation,
 * sanitised instructions, the RDP notice, the lab page shell and the demo sign-in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { issueSession, verifySession } from '../../src/http/session.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { Keys } from '../../src/infra/keys.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const fakeProviders = [{ name: 'fake', capacity: -1, template: 'heat_template_version: 2016-10-14\nresources: {}\n', templateFile: 'template.yaml' }];

describe('learner API and pages', () => {
  let runtime: TestRuntime;
  let app: FastifyInstance;
  let ada: string;

  before(async () => {
    runtime = await testRuntime({
      providers: [new FakeProvider('fake')],
      labs: [
        testLab({ id: 'shell', instructions: '# Step 1\n\n<img src=x onerror="alert(1)">\n\n[bad](javascript:alert(1)) [good](https://example.org/docs)', instructionsLayout: 'left' }),
        testLab({ id: 'windows', protocol: 'rdp', port: 3389, providers: fakeProviders }),
        testLab({ id: 'hidden', hidden: true }),
      ],
      overrides: { demo: true },
    });
    app = await buildApp(runtime.ctx);
    ada = await issueSession(runtime.ctx.keys, { learner: 'ada', context: 'c1', roles: ['Learner'] }, 600);
  });
  after(async () => {
    await app?.close();
    await runtime?.close();
  });

  const call = (method: 'GET' | 'POST', url: string, session?: string, body?: unknown) =>
    app.inject({ method, url, headers: session ? { authorization: `Bearer ${session}` } : {}, ...(body === undefined ? {} : { payload: body as object }) });

  test('sessions: missing, forged or expired ones are refused', async () => {
    assert.equal((await call('GET', '/api/v1/me')).statusCode, 401);
    const other = await issueSession(Keys.ephemeral(), { learner: 'ada', context: 'c1', roles: [] }, 600);
    assert.equal((await call('GET', '/api/v1/me', other)).statusCode, 401);
    const expired = await issueSession(runtime.ctx.keys, { learner: 'ada', context: 'c1', roles: [] }, -10);
    await assert.rejects(verifySession(runtime.ctx.keys, expired));
    const me = await call('GET', '/api/v1/me', ada);
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().learner, 'ada');
  });

  test('launch, status, keepalive and a reset that needs the typed confirmation', async () => {
    const launched = await call('POST', '/api/v1/me/labs/shell/launch', ada);
    assert.equal(launched.statusCode, 200);
    const id = launched.json().id as string;
    assert.equal(launched.json().phase, 'starting');
    await settle(runtime);
    const status = (await call('GET', `/api/v1/me/stacks/${id}`, ada)).json();
    assert.equal(status.state, 'READY');
    assert.equal(status.phase, 'ready');
    for (const secret of ['publicIp', 'public_ip', 'privateKey', 'private_key', 'password']) assert.ok(!(secret in status), `${secret} is not sent`);
    runtime.clock.advance(30);
    const kept = (await call('POST', `/api/v1/me/stacks/${id}/keepalive`, ada)).json();
    assert.ok(Date.parse(kept.suspendAt) > Date.parse(status.suspendAt ?? '0') || status.suspendAt === null);
    const refused = await call('POST', `/api/v1/me/stacks/${id}/reset`, ada, { confirm: 'yes' });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().code, 'CONFIRMATION_REQUIRED');
    const reset = await call('POST', `/api/v1/me/stacks/${id}/reset`, ada, { confirm: 'RESET' });
    assert.equal(reset.statusCode, 200);
    assert.equal(reset.json().phase, 'deleting');
    await settle(runtime);
    assert.equal((await call('GET', `/api/v1/me/stacks/${id}`, ada)).json().state, 'READY', 'reset relaunches');
  });

  test("another learner sees none of ada's stacks, and a pinned session opens only its lab", async () => {
    const [stack] = await runtime.ctx.stacks.list({ learner: 'ada' });
    const bob = await issueSession(runtime.ctx.keys, { learner: 'bob', context: 'c1', roles: ['Learner'] }, 600);
    for (const [method, path] of [['GET', ''], ['POST', '/keepalive'], ['POST', '/resume'], ['POST', '/connections']] as const) {
      const response = await call(method, `/api/v1/me/stacks/${stack.id}${path}`, bob, method === 'POST' ? {} : undefined);
      assert.equal(response.statusCode, 404, `${method} ${path}`);
    }
    const pinned = await issueSession(runtime.ctx.keys, { learner: 'bob', context: 'c1', roles: [], lab: 'windows' }, 600);
    assert.equal((await call('POST', '/api/v1/me/labs/shell/launch', pinned)).statusCode, 403);
  });

  test('instructions are rendered and sanitised; RDP without guacd says it is unavailable', async () => {
    const shell = (await call('GET', '/api/v1/me/labs/shell', ada)).json().lab;
    assert.match(shell.instructionsHtml, /<h1>Step 1<\/h1>/);
    assert.doesNotMatch(shell.instructionsHtml, /<img|javascript:/);
    assert.match(shell.instructionsHtml, /href="https:\/\/example.org\/docs"/);
    assert.equal(shell.instructionsLayout, 'left');
    const windows = (await call('GET', '/api/v1/me/labs/windows', ada)).json().lab;
    assert.equal(windows.protocolAvailable, false);
    assert.match(windows.unavailableReason, /RDP.*unavailable/);
  });

  test('the lab page shell: CSP without inline script, a progress-check container, bundled assets', async () => {
    const page = await app.inject({ method: 'GET', url: '/lab/shell' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.match(page.body, /<section id="progress-check"/);
    assert.doesNotMatch(page.body, /<script>(?!<)/, 'no inline script');
    const js = await app.inject({ method: 'GET', url: '/assets/lab-page.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /javascript/);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/..%2Fpackage.json' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/lab/nope' })).statusCode, 404);
  });

  test('demo mode: a course page listing visible labs and a sign-in that yields a working session', async () => {
    const course = await app.inject({ method: 'GET', url: '/' });
    assert.equal(course.statusCode, 200);
    assert.match(course.body, /Demo mode/);
    assert.match(course.body, /data-lab="shell"/);
    assert.doesNotMatch(course.body, /data-lab="hidden"/);
    assert.equal((await app.inject({ method: 'POST', url: '/demo/sign-in', payload: { name: '' } })).statusCode, 400);
    const signIn = await app.inject({ method: 'POST', url: '/demo/sign-in', payload: { name: 'Grace Hopper' } });
    assert.equal(signIn.statusCode, 200);
    const me = (await call('GET', '/api/v1/me', signIn.json().session)).json();
    assert.equal(me.learner, 'demo:grace-hopper');
    assert.equal(me.displayName, 'Grace Hopper');
  });
});
