/**
 * Isolation on real containers: a lab cannot open a connection to the host (a port the test opens
 * on all host addresses, 127.0.0.1 included, and on the public bridge) nor to another learner's
 * stack, while the platform reaches each lab's public_ip and the lab reaches the wait-condition
 * endpoint (which is what proves the path to the host works where it is allowed).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { prerequisite, skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin, type SshTarget } from './ssh.ts';
import { labTemplate, lxcMissing, tcpConnects, testProvider, uniqueName, waitFor } from './support.ts';

const missing = await lxcMissing();
// An address of the Debian mirror, resolved on the host (labs without internet have no DNS either).
const MIRROR = await import('node:dns/promises').then((d) => d.lookup('deb.debian.org', { family: 4 })).then((a) => a.address, () => '151.101.2.132');

const WITH_SIGNAL = `
heat_template_version: 2016-10-14
resources:
  key: { type: OS::Nova::KeyPair, properties: { name: { get_param: 'OS::stack_name' } } }
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  iface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  fip: { type: OS::Neutron::FloatingIP, depends_on: iface, properties: { floating_network: public, port_id: { get_resource: port } } }
  handle: { type: OS::Heat::WaitConditionHandle }
  wait: { type: OS::Heat::WaitCondition, depends_on: server, properties: { handle: { get_resource: handle }, timeout: 60 } }
  config:
    type: OS::Heat::CloudConfig
    properties:
      cloud_config:
        users:
          - { name: training, sudo: 'ALL=(ALL) NOPASSWD:ALL', ssh_authorized_keys: [ { get_attr: [ key, public_key ] } ] }
        runcmd:
          - str_replace:
              template: |
                wc_notify --data-binary '{"status": "SUCCESS", "data": "ready on HOST"}'
              params:
                wc_notify: { get_attr: [ handle, curl_cli ] }
                HOST: { get_param: 'OS::stack_name' }
  server:
    type: OS::Nova::Server
    properties:
      image: Debian 12
      flavor: m1.tiny
      networks: [ { port: { get_resource: port } } ]
      user_data_format: SOFTWARE_CONFIG
      user_data: { get_resource: config }
outputs:
  public_ip: { value: { get_attr: [ fip, floating_ip_address ] } }
  private_key: { value: { get_attr: [ key, private_key ] } }
  wait_data: { value: { get_attr: [ wait, data ] } }
`;

function hostAddress(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !name.startsWith('sl')) return a.address;
  throw new Error('the host has no IPv4 address outside stacklab bridges');
}

describe('lxc: isolation', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const a = { id: uniqueName('isa'), name: '' };
  const b = { id: uniqueName('isb'), name: '' };
  a.name = a.id;
  b.name = b.id;
  let labA: SshTarget;
  let labB: SshTarget;
  let listener: Server;
  let port = 0;
  let accepted = 0;

  before(async () => {
    listener = createServer((s) => {
      accepted++;
      s.on('error', () => {});
      s.end('hello from the host\n');
    });
    await new Promise<void>((r) => listener.listen(0, '0.0.0.0', () => r()));
    port = (listener.address() as { port: number }).port;
    await Promise.all([
      provider.create({ name: a.name, template: WITH_SIGNAL, parameters: {}, timeoutSeconds: 120 }),
      provider.create({ name: b.name, template: labTemplate('single-server'), parameters: {}, timeoutSeconds: 120 }),
    ]);
  });

  after(async () => {
    listener.close();
    await Promise.all([provider.delete(a).catch(() => {}), provider.delete(b).catch(() => {})]);
  });

  test('both stacks come up; the lab signalled its wait condition with data through the endpoint', async () => {
    const [da, db] = await Promise.all([waitFor(provider, a, 'CREATE'), waitFor(provider, b, 'CREATE')]);
    assert.equal(da.status, 'COMPLETE', da.reason);
    assert.equal(db.status, 'COMPLETE', db.reason);
    assert.deepEqual(JSON.parse(String(da.outputs.wait_data)), { '1': `ready on ${a.name}` });
    labA = { host: String(da.outputs.public_ip), username: 'training', privateKey: String(da.outputs.private_key) };
    labB = { host: String(db.outputs.public_ip), username: 'training', privateKey: String(db.outputs.private_key) };
    assert.notEqual(labA.host, labB.host);
    await Promise.all([waitForLogin(labA), waitForLogin(labB)]);
  });

  const probe = (ip: string, p: number) => `timeout 3 bash -c 'exec 3<>/dev/tcp/${ip}/${p}' 2>/dev/null && echo "${ip}:${p} OPEN" || echo "${ip}:${p} CLOSED"`;

  test('the host listener is really there (control): the host itself connects', async () => {
    const { connect } = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, hostAddress(), () => {
        socket.destroy();
        resolve();
      }).on('error', reject);
    });
    assert.ok(accepted >= 1);
  });

  test('a lab cannot connect to the host: its address, the public bridge, 127.0.0.1', async () => {
    const before = accepted;
    const targets = [hostAddress(), '10.254.0.1', '127.0.0.1'];
    const r = await sshExec(labA, targets.map((t) => probe(t, port)).join('; '));
    assert.deepEqual(r.stdout.trim().split('\n'), targets.map((t) => `${t}:${port} CLOSED`), r.stderr);
    assert.equal(accepted, before, 'the host listener saw a connection from the lab');
  });

  test('the only host port a lab reaches is the wait-condition endpoint (control)', async () => {
    const r = await sshExec(labA, probe('10.254.0.1', 8799));
    assert.equal(r.stdout.trim(), '10.254.0.1:8799 OPEN');
  });

  test('a lab cannot reach another learner\'s stack (public IP, SSH) even though both use 10.0.0.0/24', async () => {
    const r = await sshExec(labA, `${probe(labB.host, 22)}; ping -c1 -W1 ${labB.host} >/dev/null 2>&1 && echo PING-OK || echo PING-FAIL; ip -4 -o addr show eth0`);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], `${labB.host}:22 CLOSED`);
    assert.equal(lines[1], 'PING-FAIL');
    assert.match(lines[2], /10\.0\.0\.\d+\/24/);
    const fromB = await sshExec(labB, 'ip -4 -o addr show eth0');
    assert.match(fromB.stdout, /10\.0\.0\.\d+\/24/);
  });

  test('outbound internet is off by default', async () => {
    const r = await sshExec(labA, `${probe(MIRROR, 80)}; ${probe('1.1.1.1', 80)}`);
    assert.deepEqual(r.stdout.trim().split('\n'), [`${MIRROR}:80 CLOSED`, '1.1.1.1:80 CLOSED']);
  });

  test('with allowInternet the lab reaches the outside (the Debian mirror), and still not the host', async (t) => {
    if (!prerequisite(t, await tcpConnects(MIRROR, 80), `the host itself cannot reach ${MIRROR}:80`)) return;
    const c = { id: uniqueName('isc'), name: '' };
    c.name = c.id;
    try {
      await provider.create({ name: c.name, template: labTemplate('single-server'), parameters: {}, timeoutSeconds: 120, options: { allowInternet: true } });
      const done = await waitFor(provider, c, 'CREATE');
      assert.equal(done.status, 'COMPLETE', done.reason);
      const lab = { host: String(done.outputs.public_ip), username: 'training', privateKey: String(done.outputs.private_key) };
      await waitForLogin(lab);
      const r = await sshExec(lab, `${probe(MIRROR, 80)}; ${probe(hostAddress(), port)}`);
      assert.deepEqual(r.stdout.trim().split('\n'), [`${MIRROR}:80 OPEN`, `${hostAddress()}:${port} CLOSED`]);
    } finally {
      await provider.delete(c);
    }
  });
});

