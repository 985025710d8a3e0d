/**
 * Security groups enforced on real containers: a port a rule opens is reachable from another server
 * of the stack and through the floating IP, a port no rule opens is not (a listener is there, so
 * without enforcement the connection would open), a remote-group rule lets members in and others
 * not, an egress rule limits what a server reaches, a server cannot take a member's address, and
 * delete leaves none of its rules. Connections are made from inside the servers' network namespaces (nsenter,
 * with this host's node), so they leave through the server's own NIC, as the lab's would.
 *
 * The host here runs rules of other software that use the packet mark, as hosts do: CNI's portmap
 * masquerades what carries its bit, a CONNMARK restore overwrites the mark on the way in. The stack's
 * enforcement must neither be fooled by them nor have its traffic mangled by them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initPid } from '../../src/providers/lxc/containers.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { dispatchTable } from '../../src/providers/lxc/nft-dispatch.ts';
import { leftovers, LXC_HOME, LXC_TEST_DEPLOYMENT, lxcMissing, stackState, tcpConnects, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();

// Styles from the OpenStack Heat template guide and heat-templates' examples: rules in the group,
// a SecurityGroupRule of its own, remote_mode remote_group_id without a group (the group itself).
const TEMPLATE = `
heat_template_version: 2018-08-31
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  iface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  web_sg:
    type: OS::Neutron::SecurityGroup
    properties:
      rules:
        - { protocol: tcp, port_range_min: 8080, port_range_max: 8080, remote_ip_prefix: 0.0.0.0/0 }
        - { protocol: tcp, port_range_min: 9090, port_range_max: 9090, remote_mode: remote_group_id, remote_group_id: { get_resource: client_sg } }
        - { protocol: icmp }
        - { protocol: udp, port_range_min: 9091, remote_mode: remote_group_id, remote_group_id: { get_resource: client_sg } }
  web_sg_peers:
    type: OS::Neutron::SecurityGroupRule
    properties: { security_group: { get_resource: web_sg }, protocol: tcp, port_range_min: 7000, port_range_max: 7001, remote_group: { get_resource: web_sg } }
  client_sg:
    type: OS::Neutron::SecurityGroup
    properties:
      rules:
        - { direction: egress, protocol: tcp, port_range_min: 8080, port_range_max: 9090 }
        - { direction: egress, protocol: udp, port_range_min: 9091, port_range_max: 9091 }
  other_sg: { type: OS::Neutron::SecurityGroup, properties: { name: other } }
  web_port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { ip_address: 10.0.0.10 } ], security_groups: [ { get_resource: web_sg } ] } }
  client_port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { ip_address: 10.0.0.20 } ], security_groups: [ { get_resource: client_sg } ] } }
  fip: { type: OS::Neutron::FloatingIP, depends_on: iface, properties: { floating_network: public, port_id: { get_resource: web_port } } }
  web:
    type: OS::Nova::Server
    properties: { image: Debian 12, flavor: m1.tiny, networks: [ { port: { get_resource: web_port } } ] }
  client:
    type: OS::Nova::Server
    properties: { image: Debian 12, flavor: m1.tiny, networks: [ { port: { get_resource: client_port } } ] }
  other:
    type: OS::Nova::Server
    properties: { image: Debian 12, flavor: m1.tiny, security_groups: [ other ], networks: [ { network: { get_resource: net }, fixed_ip: 10.0.0.30 } ] }
  open:
    type: OS::Nova::Server
    properties: { image: Debian 12, flavor: m1.tiny, networks: [ { network: { get_resource: net }, fixed_ip: 10.0.0.40 } ] }
outputs:
  public_ip: { value: { get_attr: [ fip, floating_ip_address ] } }
`;

const NODE = process.execPath;
const PORTS = [7000, 8080, 8081, 9090];

/**
 * Listens on PORTS (TCP) and UDP 9091 in a server's network namespace; prints "ready" once all
 * listen, then "accept <port> <from>" per connection and "udp <text> <from>" per datagram.
 */
const waiters: (() => void)[] = [];

/** Resolves once a listener logs a line that `pred` accepts (the datagram's arrival is the event). */
async function logged(lines: string[], pred: (l: string) => boolean): Promise<void> {
  while (!lines.some(pred)) await new Promise<void>((r) => waiters.push(r));
}

function listen(pid: number): Promise<{ child: ChildProcess; accepted: string[] }> {
  const code = `const net=require('net');let n=0;for(const p of ${JSON.stringify(PORTS)})net.createServer(s=>{s.on('error',()=>{});console.log('accept',p,s.remoteAddress);s.end('hi\\n')}).listen(p,'0.0.0.0',()=>{if(++n===${PORTS.length + 1})console.log('ready')});const u=require('dgram').createSocket('udp4');u.on('message',(m,r)=>console.log('udp',String(m),r.address));u.bind(9091,'0.0.0.0',()=>{if(++n===${PORTS.length + 1})console.log('ready')});`;
  const child = spawn('nsenter', ['-t', String(pid), '-n', NODE, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const accepted: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l === 'ready') resolve({ child, accepted });
      else if (l.startsWith('accept') || l.startsWith('udp')) {
        accepted.push(l);
        for (const w of waiters.splice(0)) w();
      }
    });
    child.on('exit', (c) => reject(new Error(`listener exited with ${c}`)));
  });
}

/** A UDP datagram from a server's namespace, from `from` (an address the server may not own). */
function sendUdp(pid: number, ip: string, port: number, text: string, from?: string): void {
  const code = `const u=require('dgram').createSocket('udp4');u.bind({port:0${from ? `,address:'${from}'` : ''}},()=>u.send('${text}',${port},'${ip}',()=>u.close()));`;
  execFileSync('nsenter', ['-t', String(pid), '-n', NODE, '-e', code]);
}

/**
 * A TCP connection from a server's namespace, optionally from another source address (added to its
 * NIC first): "open", "refused" or "timeout" (a dropped SYN gives no answer; the socket's timeout is the event).
 */
function connectFrom(pid: number, ip: string, port: number, from?: string): string {
  const code = `const s=require('net').connect({host:'${ip}',port:${port},timeout:1500${from ? `,localAddress:'${from}'` : ''}});s.on('connect',()=>{console.log('open');process.exit(0)});s.on('timeout',()=>{console.log('timeout');process.exit(0)});s.on('error',e=>{console.log(e.code==='ECONNREFUSED'?'refused':e.code);process.exit(0)});`;
  return execFileSync('nsenter', ['-t', String(pid), '-n', NODE, '-e', code], { encoding: 'utf8' }).trim();
}

describe('lxc: security groups', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const ref = { id: uniqueName('sg'), name: '' };
  ref.name = ref.id;
  const pids: Record<string, number> = {};
  let web: { child: ChildProcess; accepted: string[] };
  let publicIp = '';
  let shortId = '';
  const macs: Record<string, string> = {};
  const hostile = `${uniqueName('mk').replace(/[^a-z0-9]/g, '')}`;

  before(async () => {
    await provider.create({ name: ref.name, template: TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    publicIp = String(done.outputs.public_ip);
    const state = stackState(ref.name);
    shortId = state.shortId;
    for (const s of state.plan.servers) pids[s.resource] = (await initPid(join(LXC_HOME, 'containers'), s.container))!;
    for (const s of state.plan.servers) macs[s.resource] = s.nics[0].mac;
    // Scoped to this stack's links, so other tests' stacks never meet them.
    execFileSync('nft', ['-f', '-'], {
      input: `table ip ${hostile} {
  chain mangle_pre { type filter hook prerouting priority -150; policy accept; iifname "sl${shortId}*" meta mark set 0; }
  chain nat_post { type nat hook postrouting priority 100; policy accept; oifname "sl${shortId}*" meta mark != 0 masquerade; }
}\n`,
    });
    web = await listen(pids.web);
  });

  after(async () => {
    web?.child.kill();
    // Absent when before() failed ahead of making it.
    spawnSync('nft', ['delete', 'table', 'ip', hostile], { stdio: 'ignore' });
    await provider.delete(ref).catch(() => {});
  });

  test('a port a rule opens to everyone is reachable from another server and through the floating IP', async () => {
    assert.equal(connectFrom(pids.client, '10.0.0.10', 8080), 'open');
    assert.equal(connectFrom(pids.open, '10.0.0.10', 8080), 'open');
    assert.equal(await tcpConnects(publicIp, 8080), true);
  });

  test('a port no rule opens is closed, though a server listens on it', async () => {
    assert.equal(connectFrom(pids.client, '10.0.0.10', 8081), 'timeout');
    assert.equal(connectFrom(pids.open, '10.0.0.10', 8081), 'timeout');
    assert.equal(await tcpConnects(publicIp, 8081, 1500), false);
    assert.ok(!web.accepted.some((l) => l.startsWith('accept 8081')), web.accepted.join('; '));
  });

  test('a remote-group rule lets the group\'s members in, and no one else', async () => {
    assert.equal(connectFrom(pids.client, '10.0.0.10', 9090), 'open');
    assert.equal(connectFrom(pids.other, '10.0.0.10', 9090), 'timeout');
    assert.equal(await tcpConnects(publicIp, 9090, 1500), false);
    // The SecurityGroupRule resource opens 7000 to web_sg's own members only.
    assert.equal(connectFrom(pids.other, '10.0.0.10', 7000), 'timeout');
  });

  test('a server cannot pass itself off as a member by taking its address', async () => {
    execFileSync('nsenter', ['-t', String(pids.other), '-n', 'ip', 'addr', 'add', '10.0.0.20/32', 'dev', 'eth0']);
    // UDP needs no answer, so a datagram that got through would be logged. The member's own, sent
    // after it on the same bridge, is the event that says the forged one had its chance.
    sendUdp(pids.other, '10.0.0.10', 9091, 'forged', '10.0.0.20');
    sendUdp(pids.client, '10.0.0.10', 9091, 'genuine');
    await logged(web.accepted, (l) => l.startsWith('udp genuine'));
    assert.deepEqual(web.accepted.filter((l) => l.startsWith('udp')), ['udp genuine 10.0.0.20']);
  });

  test('a server cannot pass itself off as a member by taking its MAC and address', async () => {
    const inOther = (...args: string[]) => execFileSync('nsenter', ['-t', String(pids.other), '-n', 'ip', ...args]);
    const before = web.accepted.length;
    try {
      inOther('addr', 'replace', '10.0.0.20/32', 'dev', 'eth0');
      inOther('link', 'set', 'dev', 'eth0', 'address', macs.client);
      // Known neighbour: the forged datagram leaves at once instead of waiting on an ARP the bridge drops.
      inOther('neigh', 'replace', '10.0.0.10', 'lladdr', macs.web, 'dev', 'eth0', 'nud', 'permanent');
      sendUdp(pids.other, '10.0.0.10', 9091, 'forged-mac', '10.0.0.20');
      sendUdp(pids.client, '10.0.0.10', 9091, 'genuine-mac');
      await logged(web.accepted, (l) => l.startsWith('udp genuine-mac'));
      assert.deepEqual(web.accepted.slice(before).filter((l) => l.startsWith('udp')), ['udp genuine-mac 10.0.0.20']);
    } finally {
      inOther('neigh', 'del', '10.0.0.10', 'dev', 'eth0');
      inOther('link', 'set', 'dev', 'eth0', 'address', macs.other);
      inOther('addr', 'del', '10.0.0.20/32', 'dev', 'eth0');
    }
  });

  test('an egress rule limits where a server connects; a group without egress rules lets all out', async () => {
    // client_sg lets tcp 8080-9090 (and udp 9091) out, nothing else.
    const server = await listen(pids.open);
    try {
      assert.equal(connectFrom(pids.client, '10.0.0.40', 8080), 'open');
      assert.equal(connectFrom(pids.client, '10.0.0.40', 7000), 'timeout');
      // `open` has no security group: not filtered (the cloud's default group is not the template's to know).
      assert.equal(connectFrom(pids.other, '10.0.0.40', 7000), 'open');
    } finally {
      server.child.kill();
    }
  });

  test('delete removes the stack\'s rules with everything else', async () => {
    assert.match(execFileSync('nft', ['list', 'table', 'inet', dispatchTable(LXC_TEST_DEPLOYMENT)], { encoding: 'utf8' }), new RegExp(`chain sl${shortId}_judge`));
    await provider.delete(ref);
    assert.deepEqual(await leftovers(shortId, ref.name), []);
  });
});
