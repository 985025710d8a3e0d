/**
 * Authentication against the real Keystone: password auth from OS_* variables, application
 * credentials (which Debian's Keystone refuses to let Heat use for its trust: the user must be told
 * so), and tokens that stop working in the middle of a launch.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError, type StackRef } from '../../src/providers/provider.ts';
import { createOpenStackProvider, type OpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { HEAT_MISSING, ensureHeat, uniqueStackName, type HeatEnv } from './heat-env.ts';
import { createAppCredential, deleteAppCredential, passwordToken, revokeToken, type RawToken } from './keystone-admin.ts';
import { OK_TEMPLATE, slowTemplate } from './templates.ts';
import { deleteAndWait, waitSettled } from './wait-stack.ts';

const env = await ensureHeat();

function demoEnvVars(e: HeatEnv): NodeJS.ProcessEnv {
  return {
    OS_AUTH_URL: e.authUrl,
    OS_USERNAME: 'demo',
    OS_PASSWORD: 'demopass',
    OS_PROJECT_NAME: 'demo',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: e.vars.OS_REGION_NAME ?? 'RegionOne',
  };
}

describe('openstack authentication on a real Keystone', { skip: skipUnless(env !== null, HEAT_MISSING) }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  let password: OpenStackProvider;

  before(() => {
    password = createOpenStackProvider('pw-cloud', {}, undefined, { sources: { env: demoEnvVars(env!), cwd: '/nonexistent', home: '/nonexistent' } });
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('password auth from OS_* variables creates a stack (Heat gets its trust)', async () => {
    const ref = await password.create({ name: uniqueStackName('pwauth'), template: OK_TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    cleanups.push(() => deleteAndWait(password, ref));
    const s = await waitSettled(password, ref);
    assert.equal(`${s?.action}_${s?.status}`, 'CREATE_COMPLETE', s?.reason);
    assert.equal(password.session.cloud.source, 'OS_* environment variables');
  });

  test('an application credential authenticates, and its refused trust becomes a clear PRIVILEGES error', async () => {
    const owner: RawToken = await passwordToken(env!.authUrl, 'demo', 'demopass', 'demo');
    const secret = `s-${Math.random().toString(36).slice(2)}`;
    const acName = uniqueStackName('appcred');
    const acId = await createAppCredential(env!.authUrl, owner, acName, secret);
    cleanups.push(() => deleteAppCredential(env!.authUrl, owner, acId));

    const viaAc = createOpenStackProvider('ac-cloud', { auth: { auth_url: env!.authUrl, application_credential_id: acId, application_credential_secret: secret } }, undefined, { sources: { env: {} } });
    const listed = await viaAc.list(); // token without scope, catalog found, Heat answers
    assert.ok(Array.isArray(listed));
    const token = await viaAc.session.token();
    assert.equal(token.projectId, (owner.body as { token: { project: { id: string } } }).token.project.id, 'the credential is bound to its project');

    // By name too (needs the user), as clouds.yaml often has it.
    const byName = createOpenStackProvider('ac-cloud-2', { auth: { auth_url: env!.authUrl, application_credential_name: acName, application_credential_secret: secret, username: 'demo', user_domain_name: 'Default' } }, undefined, { sources: { env: {} } });
    assert.ok(Array.isArray(await byName.list()));

    const name = uniqueStackName('acstack');
    const t0 = Date.now();
    const err = await viaAc.create({ name, template: OK_TEMPLATE, parameters: {}, timeoutSeconds: 60 }).then(
      (ref: StackRef) => {
        cleanups.push(() => deleteAndWait(viaAc, ref));
        return null;
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProviderError, `expected a refusal, got ${String(err)}`);
    assert.equal(err.code, 'PRIVILEGES');
    assert.match(err.userMessage, /Delegated tokens cannot manage trusts/);
    assert.match(err.userMessage, /password authentication/);
    assert.ok(!err.userMessage.includes(secret) && !err.detail.includes(secret));
    assert.ok(Date.now() - t0 < 5000, 'refused at once, not after a round of retries');
    assert.equal(await password.get({ id: '', name }), null, 'nothing was built');
  });

  test('a token that stops working mid-launch is replaced: on a 401 and before expiry', async () => {
    const admin = await passwordToken(env!.authUrl, 'admin', 'adminpass', 'admin');
    const current = await password.session.token();
    const before401 = password.session.authentications;
    // A token Heat has never seen (so it has no cached validation) and Keystone has revoked.
    const dead = await passwordToken(env!.authUrl, 'demo', 'demopass', 'demo');
    await revokeToken(env!.authUrl, admin.value, dead.value);
    password.session.useToken({ ...current, value: dead.value });

    const ref = await password.create({ name: uniqueStackName('tokexp'), template: slowTemplate(3), parameters: {}, timeoutSeconds: 120 });
    cleanups.push(() => deleteAndWait(password, ref));
    assert.equal(password.session.authentications, before401 + 1, 'one re-authentication after the 401');

    password.session.expireCachedToken();
    const mid = await password.get(ref);
    assert.equal(mid?.action, 'CREATE');
    assert.equal(password.session.authentications, before401 + 2, 'an expired token is renewed before use');

    const done = await waitSettled(password, ref);
    assert.equal(`${done?.action}_${done?.status}`, 'CREATE_COMPLETE', done?.reason);
    assert.equal(done?.outputs.result, 'done');
  });
});
