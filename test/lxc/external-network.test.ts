/**
 * A server attached directly to the external network, on real containers: it gets a public address,
 * the platform reaches it there as it reaches a floating IP, it reaches the wait-condition endpoint
 * and nothing else of the host nor any other public address (here: the same stack's floating IP,
 * which the same rule keeps other stacks' out of reach), its security group is enforced, an
 * address it takes itself gets nothing through, and delete leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initPid } from '../../src/providers/lxc/containers.ts';
import { contains, parseCidr } from '../../src/providers/lxc/ipv4.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { leftovers, LXC_HOME, lxcMissing, stackState, tcpConnects, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();

// The shape of the "server on the provider network" examples (OpenStack's Heat template guide,
// heat-templates' hot/servers_in_existing_neutron_net.yaml with the public network as the net).
const TEMPLATE = `
heat_template_version: 2016-10-14
parameters:
  public_net: { type: string, default: public }
resources:
  handle: { type: OS::Heat::WaitConditionHandle }
  wait: { type: OS::Heat::WaitCondition, properties: { handle: { get_resource: handle }, timeout: 60 } }
  edge_sg: { type: OS::Neutron::SecurityGroup, properties: { rules: [ { protocol: tcp, port_range_min: 22, port_range_max: 22 } ] } }
  edge:
    type: OS::Nova::Server
    properties:
      image: Debian 12
      flavor: m1.tiny
      security_groups: [ { get_resource: edge_sg } ]
      networks: [ { network: { get_param: public_net } } ]
      user_data_format: RAW
      user_data:
        str_replace:
          template: |
            #!/bin/sh
            wc_notify --data-binary '{"status": "SUCCESS", "data": "edge up"}'
          params: { wc_notify: { get_attr: [ handle, curl_cli ] } }
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: { get_param: public_net } } } }
  iface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net } } }
  fip: { type: OS::Neutron::FloatingIP, depends_on: iface, properties: { floating_network: { get_param: public_net }, port_id: { get_resource: port } } }
  inner:
    type: OS::Nova::Server
    properties: { image: Debian 12, flavor: m1.tiny, networks: [ { port: { get_resource: port } } ] }
outputs:
  public_ip: { value: { get_attr: [ edge, first_address ] } }
  by_network: { value: { get_attr: [ edge, networks, { get_param: public_net }, 0 ] } }
  inner_ip: { value: { get_attr: [ fip, floating_ip_address ] } }
  wait_data: { value: { get_attr: [ wait, data ] } }
`;

const NODE = process.execPath;
const HOST_IP = '10.254.0.1';

/** A TCP connection from a server's network namespace: "open", "refused" or "timeout" (a dropped SYN: the socket's timeout is the event). */
function connectFrom(pid: number, ip: string, port: number, from?: string): string {
  const code = `const s=require('net').connect({host:'${ip}',port:${port},timeout:1500${from ? `,localAddress:'${from}'` : ''}});s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('timeout');process.exit(0)});s.on('error',e=>{console.log(e.code==='ECONNREFUSED'?'refused':e.code);process.exit(0)});`;
  return execFileSync('nsenter', ['-t', String(pid), '-n', NODE, '-e', code], { encoding: 'utf8' }).trim();
}

describe('lxc: a server on the external network', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const ref = { id: uniqueName('ext'), name: '' };
  ref.name = ref.id;
  let outputs: Record<string, unknown> = {};
  let pid = 0;
  let shortId = '';
  let publicIps: string[] = [];
  let listener: Server;
  let port = 0;
  let accepted = 0;

  before(async () => {
    listener = createServer((s) => {
      accepted++;
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((r) => listener.listen(0, '0.0.0.0', () => r()));
    port = (listener.address() as { port: number }).port;
    await provider.create({ name: ref.name, template: TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    outputs = done.outputs;
    const state = stackState(ref.name);
    shortId = state.shortId;
    publicIps = state.plan.publicIps;
    pid = (await initPid(join(LXC_HOME, 'containers'), state.plan.servers.find((s) => s.resource === 'edge')!.container))!;
  });

  after(async () => {
    listener?.close();
    await provider.delete(ref).catch(() => {});
  });

  test('it has an address of the public range, in its attributes, and signalled through the endpoint', () => {
    const ip = String(outputs.public_ip);
    assert.ok(contains(parseCidr('10.254.0.0/16'), ip), ip);
    assert.equal(outputs.by_network, ip);
    assert.notEqual(outputs.inner_ip, ip);
    assert.deepEqual(JSON.parse(String(outputs.wait_data)), { '1': 'edge up' });
    assert.match(execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' }), new RegExp(`inet ${ip.replace(/\./g, '\\.')}/16`));
  });

  test('the platform reaches it as it reaches a floating IP', async () => {
    assert.equal(await tcpConnects(String(outputs.public_ip), 22), true);
  });

  test('its security group holds there too: a port it listens on but no rule opens stays closed to the platform', async () => {
    const code = `require('net').createServer(s=>s.end()).listen(8080,'0.0.0.0',()=>console.log('ready'))`;
    const child = spawn('nsenter', ['-t', String(pid), '-n', NODE, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => String(d).includes('ready') && resolve());
        child.on('exit', (c) => reject(new Error(`listener exited with ${c}`)));
      });
      assert.equal(connectFrom(pid, '127.0.0.1', 8080), 'open', 'the listener is there');
      assert.equal(await tcpConnects(String(outputs.public_ip), 8080, 1500), false);
    } finally {
      child.kill();
    }
  });

  test('it reaches the wait-condition endpoint and nothing else of the host', () => {
    assert.equal(connectFrom(pid, HOST_IP, 8799), 'open');
    assert.equal(connectFrom(pid, HOST_IP, port), 'timeout');
    assert.equal(accepted, 0, 'the host listener saw a connection from the lab');
  });

  test('it does not reach other public addresses (a floating IP, as those of other stacks)', () => {
    assert.equal(connectFrom(pid, String(outputs.inner_ip), 22), 'timeout');
  });

  test('an address it takes itself gets nothing through', () => {
    execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', 'addr', 'add', '10.254.255.250/32', 'dev', 'eth0']);
    // Its answer would go astray either way; what counts is whether the SYN reached the host, which a
    // counter of the test's own, on the host's input from the public bridge, tells.
    const table = `stacklabtest${process.pid}`;
    execFileSync('nft', ['-f', '-'], { input: `table inet ${table} {\n chain input {\n  type filter hook input priority -300; policy accept;\n  iifname "slpub0" ip saddr 10.254.255.250 counter\n }\n}\n` });
    try {
      assert.equal(connectFrom(pid, HOST_IP, 8799, '10.254.255.250'), 'timeout');
      assert.match(execFileSync('nft', ['list', 'chain', 'inet', table, 'input'], { encoding: 'utf8' }), /counter packets 0 /);
    } finally {
      execFileSync('nft', ['delete', 'table', 'inet', table]);
    }
  });

  test('delete leaves nothing: links, namespace, rules, addresses', async () => {
    await provider.delete(ref);
    assert.deepEqual(await leftovers(shortId, ref.name, publicIps), []);
  });
});
