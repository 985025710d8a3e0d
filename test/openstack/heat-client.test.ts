/**
 * The OpenStack provider's protocol rules against a scripted local cloud (fake-cloud.ts): token
 * reuse and renewal, one re-auth on 401, adopting on 409, 404 on delete, the by-name 302, endpoint
 * choice, application-credential requests, the trust refusal, and reboots through Nova.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError } from '../../src/providers/provider.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import type { OpenStackProviderOptions } from '../../src/providers/openstack/options.ts';
import { FakeCloud, PROJECT, heatStack, sendJson } from './fake-cloud.ts';

const FAST = { retries: 2, baseDelayMs: 5, maxDelayMs: 10 };
const ID = '11111111-2222-4333-8444-555555555555';
const NAME = 'stacklab-unit-1';

describe('openstack provider protocol (local fake cloud)', () => {
  let cloud: FakeCloud;
  const providers: OpenStackProvider[] = [];

  function make(extra: Partial<OpenStackProviderOptions> = {}, auth: Partial<NonNullable<OpenStackProviderOptions['auth']>> = {}): OpenStackProvider {
    const p = createOpenStackProvider(
      'unit',
      { auth: { auth_url: cloud.authUrl, username: 'demo', password: 'demopass', project_name: 'demo', ...auth }, region: 'RegionOne', ...extra },
      undefined,
      { retry: FAST, sources: { env: {} } },
    );
    providers.push(p);
    return p;
  }

  before(async () => {
    cloud = await new FakeCloud().start();
  });
  beforeEach(() => {
    cloud.calls.length = 0;
    cloud.tokenTtlMs = 3600_000;
    cloud.extraCatalog = [];
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks/${NAME}/${ID}$`), (_c, res) => sendJson(res, 200, heatStack(NAME, ID, 'CREATE_COMPLETE', { public_ip: '192.0.2.1' })));
  });
  after(async () => {
    for (const p of providers) await p.close?.();
    await cloud.stop();
  });

  test('one token serves many calls; the password request is project-scoped and says Connection: close', async () => {
    const p = make();
    for (let i = 0; i < 5; i++) assert.equal((await p.get({ id: ID, name: NAME }))?.outputs.public_ip, '192.0.2.1');
    const auths = cloud.calls.filter((c) => c.path === '/v3/auth/tokens');
    assert.equal(auths.length, 1);
    assert.equal(auths[0].headers.connection, 'close');
    const body = auths[0].body as { auth: { identity: { methods: string[]; password: { user: { name: string; domain: { name: string } } } }; scope: { project: { name: string } } } };
    assert.deepEqual(body.auth.identity.methods, ['password']);
    assert.equal(body.auth.identity.password.user.name, 'demo');
    assert.equal(body.auth.identity.password.user.domain.name, 'Default');
    assert.equal(body.auth.scope.project.name, 'demo');
  });

  test('a token close to expiry is renewed before it is used', async () => {
    cloud.tokenTtlMs = 400; // renewal margin is half the lifetime: 200 ms
    const p = make();
    await p.get({ id: ID, name: NAME });
    await new Promise((r) => setTimeout(r, 250));
    await p.get({ id: ID, name: NAME });
    assert.equal(p.session.authentications, 2);
    assert.ok(!cloud.heatCalls().some((c) => c.headers['x-auth-token'] === undefined));
  });

  test('a refused token gets one re-authentication and one retry', async () => {
    const p = make();
    await p.get({ id: ID, name: NAME });
    cloud.validTokens.clear(); // Keystone revoked every token
    assert.equal((await p.get({ id: ID, name: NAME }))?.status, 'COMPLETE');
    assert.equal(p.session.authentications, 2);
  });

  test('a 401 that persists after re-authentication is AUTH_FAILED, not a loop', async () => {
    const p = make();
    cloud.on('GET', /\/stacks\/stacklab-always-401\//, (_c, res) => sendJson(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.' } }));
    await assert.rejects(p.get({ id: ID, name: 'stacklab-always-401' }), (e: unknown) => e instanceof ProviderError && e.code === 'AUTH_FAILED');
    assert.equal(cloud.heatCalls('GET').length, 2);
    assert.equal(p.session.authentications, 2);
  });

  test('wrong credentials are AUTH_FAILED, and the password is in no message', async () => {
    const strict = await new FakeCloud().start();
    try {
      strict.on('POST', /^\/v3\/auth\/tokens$/, (_c, res) => sendJson(res, 401, { error: { code: 401, message: 'The request you have made requires authentication.' } }));
      const p = createOpenStackProvider('unit', { auth: { auth_url: strict.authUrl, username: 'demo', password: 'wrong-secret-pw', project_name: 'demo' } }, undefined, { retry: FAST, sources: { env: {} } });
      const err = await p.get({ id: ID, name: NAME }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof ProviderError && err.code === 'AUTH_FAILED', String(err));
      assert.ok(!`${err.userMessage} ${err.detail} ${err.message}`.includes('wrong-secret-pw'));
      assert.equal(strict.calls.length, 1, 'a refused password is not retried');
    } finally {
      await strict.stop();
    }
  });

  test('create sends the template as Heat wants it; a 409 adopts the existing stack by name', async () => {
    let posts = 0;
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) => {
      posts++;
      sendJson(res, 409, { code: 409, title: 'Conflict', error: { type: 'StackExists', message: `The Stack (${NAME}) already exists.` } });
    });
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks/${NAME}$`), (_c, res) =>
      sendJson(res, 302, { code: '302 Found' }, { Location: `http://heat.internal:8004/v1/${PROJECT}/stacks/${NAME}/${ID}` }),
    );
    const p = make();
    const template = 'heat_template_version: 2018-08-31\nparameters:\n  run: { type: string }\n';
    const ref = await p.create({ name: NAME, template, environment: 'parameters: {}\n', files: { 'a.yaml': 'x' }, parameters: { run: 'r1', learner: 'not declared' }, timeoutSeconds: 610 });
    assert.deepEqual(ref, { id: ID, name: NAME });
    assert.equal(posts, 1);
    const post = cloud.heatCalls('POST')[0].body as Record<string, unknown>;
    assert.equal(post.stack_name, NAME);
    assert.equal(post.timeout_mins, 11);
    assert.equal(post.disable_rollback, true);
    assert.deepEqual(post.parameters, { run: 'r1' }, 'only the parameters the template declares');
    assert.equal(post.template, template, 'the template text goes as it is, so Heat can name lines');
    assert.deepEqual(post.files, { 'a.yaml': 'x' });
    assert.equal(post.environment, 'parameters: {}\n');
    // Adopting needs the stack's id and status only: Heat is asked not to resolve its outputs.
    assert.ok(cloud.heatCalls('GET').some((c) => c.path.endsWith(`/stacks/${NAME}/${ID}?resolve_outputs=False`)), 'the 302 was followed by name and id on the catalog endpoint');
  });

  test('delete of a stack Heat does not know succeeds', async () => {
    // Gone between the look and the delete: Heat's 404 to the DELETE is success too.
    cloud.on('GET', /\/stacks\/stacklab-gone\//, (_c, res) => sendJson(res, 200, heatStack('stacklab-gone', ID, 'CREATE_COMPLETE')));
    cloud.on('DELETE', /\/stacks\/stacklab-gone\//, (_c, res) => sendJson(res, 404, { code: 404, error: { type: 'EntityNotFound', message: 'The Stack (stacklab-gone) could not be found.' } }));
    await make().delete({ id: ID, name: 'stacklab-gone' });
    assert.equal(cloud.heatCalls('DELETE').length, 1);
  });

  test('delete of a stack Heat is already deleting does not ask again (Heat would cancel and restart it)', async () => {
    cloud.on('GET', /\/stacks\/stacklab-going\//, (_c, res) => sendJson(res, 200, heatStack('stacklab-going', ID, 'DELETE_IN_PROGRESS')));
    await make().delete({ id: ID, name: 'stacklab-going' });
    assert.equal(cloud.heatCalls('DELETE').length, 0);
  });

  test('region and interface choose the endpoint from the catalog', async () => {
    cloud.on('GET', /^\/heat-internal\/v1\/.*\/stacks\/x\/y$/, (_c, res) => sendJson(res, 200, heatStack('x', 'y', 'CREATE_IN_PROGRESS')));
    cloud.on('GET', /^\/heat-two\/v1\/.*\/stacks\/x\/y$/, (_c, res) => sendJson(res, 200, heatStack('x', 'y', 'SUSPEND_COMPLETE')));
    assert.equal((await make({ interface: 'internal' }).get({ id: 'y', name: 'x' }))?.status, 'IN_PROGRESS');
    assert.equal((await make({ region: 'RegionTwo' }).get({ id: 'y', name: 'x' }))?.action, 'SUSPEND');
    await assert.rejects(make({ region: 'Nowhere' }).get({ id: 'y', name: 'x' }), (e: unknown) => e instanceof ProviderError && e.code === 'UNAVAILABLE' && /region Nowhere/.test(e.detail));
  });

  test('an application credential authenticates without a scope', async () => {
    const p = make({}, { username: undefined, password: undefined, project_name: undefined, application_credential_id: 'ac-1', application_credential_secret: 's3cret' });
    await p.get({ id: ID, name: NAME });
    const body = cloud.calls.find((c) => c.path === '/v3/auth/tokens')!.body as { auth: Record<string, unknown> & { identity: Record<string, unknown> } };
    assert.deepEqual(body.auth.identity, { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 's3cret' } });
    assert.equal('scope' in body.auth, false);
  });

  test('a bare 500 on create with an application credential is explained by the trust refusal, without retries', async () => {
    let posts = 0;
    cloud.on('POST', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (_c, res) => (posts++, sendJson(res, 500, { code: 500, title: 'Internal Server Error', error: { type: 'RemoteError', traceback: null } })));
    cloud.on('GET', /^\/v3\/OS-TRUST\/trusts$/, (_c, res) =>
      sendJson(res, 403, { error: { code: 403, title: 'Forbidden', message: 'You are not authorized to perform the requested action: Delegated tokens cannot manage trusts..' } }),
    );
    const p = make({}, { username: undefined, password: undefined, project_name: undefined, application_credential_id: 'ac-1', application_credential_secret: 's3cret' });
    await assert.rejects(
      p.create({ name: 'stacklab-ac', template: 'heat_template_version: 2018-08-31\n', parameters: {}, timeoutSeconds: 60 }),
      (e: unknown) => e instanceof ProviderError && e.code === 'PRIVILEGES' && /Delegated tokens cannot manage trusts/.test(e.userMessage) && /password authentication/.test(e.userMessage),
    );
    assert.equal(posts, 1);
    assert.ok(cloud.calls.some((c) => c.path === '/v3/OS-TRUST/trusts?trustor_user_id=u-demo'));
  });

  test('list pages through Heat and keeps only stacklab stacks', async () => {
    const page1 = [
      { id: 'a', stack_name: 'stacklab-a', stack_status: 'CREATE_COMPLETE', creation_time: '2026-01-01T00:00:00Z' },
      { id: 'b', stack_name: 'someone-else', stack_status: 'CREATE_COMPLETE' },
    ];
    const page2 = [
      { id: 'c', stack_name: 'stacklab-c', stack_status: 'SUSPEND_FAILED' },
      { id: 'd', stack_name: 'stacklab-d', stack_status: 'DELETE_COMPLETE' },
    ];
    cloud.on('GET', new RegExp(`^/heat/v1/${PROJECT}/stacks$`), (c, res) => {
      const marker = new URL(c.path, cloud.base).searchParams.get('marker');
      sendJson(res, 200, { stacks: marker === null ? page1 : marker === 'b' ? page2 : [] });
    });
    const listed = await make().list();
    assert.deepEqual(listed.map((s) => `${s.name}:${s.action}_${s.status}`), ['stacklab-a:CREATE_COMPLETE', 'stacklab-c:SUSPEND_FAILED']);
    assert.equal(listed[0].createdAt?.toISOString(), '2026-01-01T00:00:00.000Z');
  });

  test('rebootServers hard-reboots the named servers through Nova when the catalog has compute', async () => {
    cloud.extraCatalog = [{ type: 'compute', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: `${cloud.base}/nova/v2.1` }] }];
    cloud.on('GET', new RegExp(`/stacks/${NAME}/${ID}/resources$`), (_c, res) =>
      sendJson(res, 200, {
        resources: [
          { resource_name: 'server1', resource_type: 'OS::Nova::Server', physical_resource_id: 'srv-1', resource_status: 'RESUME_COMPLETE' },
          { resource_name: 'server2', resource_type: 'OS::Nova::Server', physical_resource_id: 'srv-2', resource_status: 'RESUME_COMPLETE' },
          { resource_name: 'pw', resource_type: 'OS::Heat::RandomString', physical_resource_id: 'x', resource_status: 'RESUME_COMPLETE' },
        ],
      }),
    );
    const reboots: string[] = [];
    cloud.on('POST', /^\/nova\/v2\.1\/servers\/([^/]+)\/action$/, (c, res, m) => {
      assert.deepEqual(c.body, { reboot: { type: 'HARD' } });
      reboots.push(m[1]);
      res.writeHead(202).end();
    });
    await make().rebootServers!({ id: ID, name: NAME }, ['server2', 'missing']);
    assert.deepEqual(reboots, ['srv-2']);
  });
});
