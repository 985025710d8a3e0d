/**
 * `key_name` on the local runtime: a key pair the template makes, else one configured in the
 * provider's key_pairs, else the stack's own key (the platform's, through stacklab_public_key); a
 * name that is none of these gives no key and is no refusal. A real server takes an SSH login with
 * the stack's key for a key_name that exists only in a cloud.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PLATFORM_KEY_PARAMETER } from '../../src/providers/lxc/plan/server-handler.ts';
import { validateForLxc } from '../../src/providers/lxc/validate.ts';
import { makePlatformKeyPair, PUBLIC_KEY_PARAMETER } from '../../src/services/platform-key-pair.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { planTemplate } from './support-plan.ts';
import { leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const CONFIGURED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIConfiguredKeyForTheTestsOnly configured';

/** One server with `key_name: <keyName>` behind a floating IP; the template may declare stacklab_public_key and make a key pair named my-cloud-key. */
const template = (keyName: string, { platformKey = false, templateKey = false } = {}) => `heat_template_version: 2018-08-31
parameters:
${platformKey ? `  ${PLATFORM_KEY_PARAMETER}: { type: string, default: '' }\n` : ''}  key_name: { type: string, default: ${keyName} }
resources:
${templateKey ? '  key: { type: OS::Nova::KeyPair, properties: { name: my-cloud-key, public_key: ssh-rsa AAAATemplateKey template } }\n' : ''}  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  router_interface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  server:
    type: OS::Nova::Server
    ${templateKey ? 'depends_on: key\n    ' : ''}properties: { name: keyed, image: debian-12, flavor: m1.tiny, key_name: { get_param: key_name }, networks: [ { port: { get_resource: port } } ] }
  floating_ip:
    type: OS::Neutron::FloatingIP
    depends_on: router_interface
    properties: { floating_network: public, port_id: { get_resource: port } }
outputs:
  public_ip: { value: { get_attr: [ floating_ip, floating_ip_address ] } }
`;

const rootKeyOf = (text: string, parameters: Record<string, unknown> = {}, keyPairs: Record<string, string> = {}) => {
  const { plan } = planTemplate(text, parameters, { keyPairs });
  return { key: plan.servers[0].rootKey, notes: plan.notes };
};

describe('lxc planner: key_name', () => {
  test('the parameter name is the one the platform fills', () => {
    assert.equal(PLATFORM_KEY_PARAMETER, PUBLIC_KEY_PARAMETER);
  });

  test('a key configured by that name in the provider settings', () => {
    assert.equal(rootKeyOf(template('lab-key'), {}, { 'lab-key': CONFIGURED }).key, CONFIGURED);
  });

  test("the stack's own key (stacklab_public_key) for a name that exists only in a cloud", () => {
    assert.equal(rootKeyOf(template('my-cloud-key', { platformKey: true }), { [PLATFORM_KEY_PARAMETER]: 'ssh-ed25519 AAAAPlatform stack' }).key, 'ssh-ed25519 AAAAPlatform stack');
  });

  test("a key pair the template makes comes first, then a configured one, then the stack's", () => {
    const both = template('my-cloud-key', { platformKey: true, templateKey: true });
    assert.equal(rootKeyOf(both, { [PLATFORM_KEY_PARAMETER]: 'ssh-ed25519 AAAAPlatform stack' }, { 'my-cloud-key': CONFIGURED }).key, 'ssh-rsa AAAATemplateKey template');
    assert.equal(rootKeyOf(template('my-cloud-key', { platformKey: true }), { [PLATFORM_KEY_PARAMETER]: 'ssh-ed25519 AAAAPlatform stack' }, { 'my-cloud-key': CONFIGURED }).key, CONFIGURED);
  });

  test('a name that is none of these gives no key, a note, and no refusal', () => {
    const { key, notes } = rootKeyOf(template('my-cloud-key'));
    assert.equal(key, undefined);
    assert.match(notes.join('\n'), /key_name "my-cloud-key" \(server\): no key pair of that name/);
    assert.deepEqual(validateForLxc(template('my-cloud-key')), []);
  });

  test('a configured key that is not an OpenSSH public key is refused with the setting', () => {
    assert.throws(() => planTemplate(template('x'), {}, { keyPairs: { x: 'not a key' } }), /OpenSSH public key/);
  });
});

const missing = await lxcMissing();

describe("lxc: key_name gets the stack's own key on a real server", { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const name = uniqueName('key');
  const ref = { id: name, name };

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  test("root and the default user take an SSH login with the stack's key", async () => {
    const pair = await makePlatformKeyPair(name);
    await provider.create({ name, template: template('my-cloud-key', { platformKey: true }), parameters: { [PLATFORM_KEY_PARAMETER]: pair.publicKey }, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    const host = String(done.outputs.public_ip);
    await waitForLogin({ host, username: 'root', privateKey: pair.privateKey });
    assert.equal((await sshExec({ host, username: 'debian', privateKey: pair.privateKey }, 'id -un; hostname')).stdout, 'debian\nkeyed\n');
    const other = await makePlatformKeyPair('other');
    await assert.rejects(sshExec({ host, username: 'root', privateKey: other.privateKey }, 'true', 10_000), /authentication/i);
    const state = stackState(name);
    await provider.delete(ref);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
  });
});
