/**
 * OS::Heat::ResourceGroup on the local runtime: members made from `resource_def` with their index
 * substituted, the group's attributes as Heat gives them, refusals said of the definition; and a real
 * launch of a group of two servers behind a jump host, both reached over SSH, listed in the outputs.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Client } from 'ssh2';
import { validateForLxc } from '../../src/providers/lxc/validate.ts';
import { connectDirect, connectThrough } from '../../src/ssh/lab-ssh.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { waitForLogin } from './ssh.ts';
import { planTemplate } from './support-plan.ts';
import { leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

/** A group of servers on a template network; `member` replaces the definition's properties after `networks`. */
const groupTemplate = (member = '', group = '') => `heat_template_version: 2018-08-31
parameters:
  count: { type: number, default: 2 }
resources:
  key: { type: OS::Nova::KeyPair, properties: { name: { get_param: OS::stack_name } } }
  net: { type: OS::Neutron::Net, properties: { name: private } }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  router_interface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  jump_port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  jump:
    type: OS::Nova::Server
    properties: { name: jump, image: debian-12, flavor: m1.tiny, key_name: { get_resource: key }, networks: [ { port: { get_resource: jump_port } } ] }
  floating_ip:
    type: OS::Neutron::FloatingIP
    depends_on: router_interface
    properties: { floating_network: public, port_id: { get_resource: jump_port } }
  nodes:
    type: OS::Heat::ResourceGroup
    properties:
      count: { get_param: count }
${group}      resource_def:
        type: OS::Nova::Server
        properties:
          name: node-%index%
          image: debian-12
          flavor: m1.tiny
          key_name: { get_resource: key }
          networks: [ { network: { get_resource: net } } ]
${member}outputs:
  public_ip: { value: { get_attr: [ floating_ip, floating_ip_address ] } }
  private_key: { value: { get_attr: [ key, private_key ] } }
  addresses: { value: { get_attr: [ nodes, first_address ] } }
  second: { value: { get_attr: [ nodes, resource.1.first_address ] } }
  second_by_path: { value: { get_attr: [ nodes, resource.1, first_address ] } }
  private_addresses: { value: { get_attr: [ nodes, networks, private, 0 ] } }
  names: { value: { get_attr: [ nodes, attributes, name ] } }
  refs: { value: { get_attr: [ nodes, refs ] } }
`;

describe('lxc planner: OS::Heat::ResourceGroup', () => {
  test('count members from resource_def, %index% replaced, on the template network; the group attributes as Heat gives them', () => {
    const { plan, outputs } = planTemplate(groupTemplate(), { count: 3 });
    const nodes = plan.servers.filter((s) => s.resource.startsWith('nodes.'));
    assert.deepEqual(nodes.map((s) => [s.resource, s.name, s.hostname]), [['nodes.0', 'node-0', 'node-0'], ['nodes.1', 'node-1', 'node-1'], ['nodes.2', 'node-2', 'node-2']]);
    const ips = nodes.map((s) => s.nics[0].ip);
    assert.equal(new Set(ips).size, 3);
    for (const s of nodes) assert.equal(s.nics[0].bridge, plan.networks[0].bridge);
    const out = outputs({});
    assert.deepEqual(out.addresses, ips);
    assert.equal(out.second, ips[1]);
    assert.equal(out.second_by_path, ips[1]);
    assert.deepEqual(out.private_addresses, ips);
    assert.deepEqual(out.names, { 0: 'node-0', 1: 'node-1', 2: 'node-2' });
    assert.deepEqual(out.refs, nodes.map((s) => plan.resourceIds[s.resource]));
    assert.equal(new Set(out.refs as string[]).size, 3);
  });

  test('index_var names another placeholder; count 0 makes no member and empty lists', () => {
    const custom = planTemplate(groupTemplate('', '      index_var: $i\n').replace('node-%index%', 'node-$i-%index%'));
    assert.deepEqual(custom.plan.servers.filter((s) => s.resource.startsWith('nodes.')).map((s) => s.name), ['node-0-%index%', 'node-1-%index%']);
    const none = planTemplate(groupTemplate().replace(/\n {2}second.*\n {2}second_by_path.*\n/, '\n'), { count: 0 });
    assert.deepEqual(none.plan.servers.map((s) => s.resource), ['jump']);
    const out = none.outputs({});
    assert.deepEqual([out.addresses, out.refs, out.names], [[], [], {}]);
  });

  test('a member the runtime cannot build is refused at the group definition, with the rest of the template', () => {
    const bad = groupTemplate().replace('          image: debian-12\n          flavor: m1.tiny\n          key_name', '          image: windows-%index%\n          flavor: m1.tiny\n          key_name');
    const problems = validateForLxc(bad.replace('image: debian-12, flavor', 'image: plan9, flavor'));
    assert.deepEqual(problems.map((p) => [p.resource, p.property]).sort(), [['jump', 'image'], ['nodes', 'resource_def.properties.image']]);
    assert.match(problems.find((p) => p.resource === 'nodes')!.message, /^member 0: image "windows-0" is not in the local image catalog/);
    const unsupported = validateForLxc(groupTemplate().replace('        type: OS::Nova::Server\n        properties:\n          name: node', '        type: OS::Trove::Instance\n        properties:\n          name: node'));
    assert.match(unsupported.map((p) => `${p.resource} ${p.property} ${p.message}`).join('\n'), /nodes resource_def\.type members of type OS::Trove::Instance are not supported/);
  });

  test('members are built by the type the environment maps the definition\'s to, as Heat maps a nested stack\'s', () => {
    const mapped = groupTemplate().replace('        type: OS::Nova::Server\n        properties:\n          name: node', '        type: Lab::Node\n        properties:\n          name: node');
    const { plan } = planTemplate(mapped, {}, {}, 'resource_registry:\n  "Lab::Node": OS::Nova::Server\n');
    assert.deepEqual(plan.servers.filter((s) => s.resource.startsWith('nodes.')).map((s) => s.name), ['node-0', 'node-1']);
    const env = 'resource_registry:\n  "Lab::*": "OS::Trove::*"\n';
    assert.throws(() => planTemplate(mapped, {}, {}, env), /members of type Lab::Node \(mapped to OS::Trove::Node by the environment\) are not supported/);
  });

  test('a member index the group does not have is refused like Heat refuses it', () => {
    const { outputs } = planTemplate(groupTemplate(), { count: 1 });
    assert.throws(() => outputs({}), /Member '1' not found in group resource 'nodes'/);
  });
});

const missing = await lxcMissing();

/** Runs `command` on a logged-in client; its standard output. */
function run(client: Client, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let out = '';
      stream.on('data', (d: Buffer) => (out += d.toString()));
      stream.stderr.resume();
      stream.on('close', () => resolve(out));
    });
  });
}

describe('lxc: a ResourceGroup of two servers on a real host', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const name = uniqueName('grp');
  const ref = { id: name, name };

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  test('both members run, answer SSH through the jump host under their own names, and the outputs list both addresses', async () => {
    await provider.create({ name, template: groupTemplate(), parameters: {}, timeoutSeconds: 180 });
    const done = await waitFor(provider, ref, 'CREATE', 150_000);
    assert.equal(done.status, 'COMPLETE', done.reason);
    const state = stackState(name);
    const members = state.plan.servers.filter((s) => s.resource.startsWith('nodes.'));
    assert.deepEqual(done.outputs.addresses, members.map((s) => s.nics[0].ip));
    const login = { username: 'root', privateKey: String(done.outputs.private_key) };
    await waitForLogin({ host: String(done.outputs.public_ip), ...login });
    const jump = await connectDirect(String(done.outputs.public_ip), 22, login);
    try {
      const names: string[] = [];
      for (const ip of done.outputs.addresses as string[]) {
        const node = await connectThrough(jump, ip, 22, login);
        names.push((await run(node, 'hostname')).trim());
        node.end();
      }
      assert.deepEqual(names, ['node-0', 'node-1']);
    } finally {
      jump.end();
    }
    await provider.delete(ref);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
  });
});
