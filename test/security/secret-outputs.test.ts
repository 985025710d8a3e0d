/**
 * Secret stack outputs: besides private_key and password, the outputs a lab declares in
 * `secret_outputs` and those whose names look secret are sealed and never sent by the service API or
 * the learner API; `public_outputs` shows a name that only looks secret.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { isSecretOutput, looksSecret } from '../../src/domain/secret-outputs.ts';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { labFileSchema } from '../../src/labs/lab-schema.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import type { ProviderStack, StackRef } from '../../src/providers/provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const SECRETS = { db_password: 'pw-0001', adminToken: 'tok-0002', flag: 'FLAG{0003}', api_key: 'key-0004' };

/** The fake's stacks, with more outputs, as a real template would give. */
class ManyOutputs extends FakeProvider {
  override async get(ref: StackRef): Promise<ProviderStack | null> {
    const stack = await super.get(ref);
    return stack && stack.status === 'COMPLETE' ? { ...stack, outputs: { ...stack.outputs, ...SECRETS, public_key: 'ssh-ed25519 AAAA', console_url: 'https://lab.example/console' } } : stack;
  }
}

test('names that look secret', () => {
  for (const name of ['password', 'db_password', 'adminPassword', 'root-pass', 'api_key', 'apiKey', 'ssh_key', 'secret', 'client_secret', 'auth_token', 'vpn_credentials', 'session_cookie', 'passphrase']) {
    assert.ok(looksSecret(name), name);
  }
  for (const name of ['public_ip', 'stack_name', 'console_url', 'keyboard_layout', 'monkey', 'passenger_count', 'reboot_on_resume']) {
    assert.ok(!looksSecret(name), name);
  }
  assert.ok(isSecretOutput('private_key', { publicOutputs: ['private_key'] }), 'private_key cannot be made public');
  assert.ok(!isSecretOutput('public_key', { publicOutputs: ['public_key'] }));
  assert.ok(isSecretOutput('flag', { secretOutputs: ['flag'] }));
});

test('a lab cannot declare private_key or password public', () => {
  assert.equal(labFileSchema.safeParse({ title: 't', public_outputs: ['password'] }).success, false);
  assert.equal(labFileSchema.safeParse({ title: 't', secret_outputs: ['flag'], public_outputs: ['public_key'] }).success, true);
});

describe('secret outputs never leave through an API', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    rt = await testRuntime({ providers: [new ManyOutputs('fake')], labs: [testLab({ secretOutputs: ['flag'], publicOutputs: ['public_key'] })] });
    app = await buildApp(rt.ctx);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  test('sealed with the key and the password, shown neither to the service nor to the learner', async () => {
    const auth = { authorization: 'Bearer test-token-0123456789abcdef' };
    const launched = await app.inject({ method: 'POST', url: '/api/v1/stacks', headers: auth, payload: { learner: 'alice', context: 'c', lab: 'demo' } });
    const id = launched.json().id as string;
    await settle(rt);
    const shown = await app.inject({ url: `/api/v1/stacks/${id}`, headers: auth });
    assert.equal(shown.json().state, 'READY');
    assert.deepEqual(Object.keys(shown.json().outputs).sort(), ['console_url', 'public_ip', 'public_key', 'stack_name']);
    const listed = await app.inject({ url: '/api/v1/stacks?learner=alice', headers: auth });
    const session = await issueSession(rt.ctx.keys, { learner: 'alice', context: 'c', roles: ['Learner'] }, 60);
    const learner = await app.inject({ url: `/api/v1/me/stacks/${id}`, headers: { authorization: `Bearer ${session}` } });
    assert.equal(learner.statusCode, 200);
    for (const body of [shown.body, listed.body, learner.body]) {
      for (const value of [...Object.values(SECRETS), 'fake-password', 'FAKE KEY']) assert.ok(!body.includes(value), `${value} was sent`);
    }
    // Kept, sealed, for the gateway and the checks.
    const secrets = await rt.ctx.stacks.secrets(id);
    assert.deepEqual(secrets.outputs, SECRETS);
    assert.equal(secrets.password, 'fake-password');
    const [row] = await rt.ctx.db.query<{ outputs: unknown; secrets: string }>('SELECT outputs, secrets FROM stacks WHERE id = $1', [id]);
    for (const value of Object.values(SECRETS)) assert.ok(!JSON.stringify(row).includes(value), `${value} is stored in the clear`);
  });
});
