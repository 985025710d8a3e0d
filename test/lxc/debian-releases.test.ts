/**
 * Debian 11, 12 and 13 on the local runtime: cloud image names map to the catalog (no root needed),
 * and a stack with a Debian 11 and a Debian 13 server, named as authors name them in Glance,
 * launches and each says its release in /etc/debian_version.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isImageBuilt, resolveImageName } from '../../src/providers/lxc/images.ts';
import { parseLxcOptions } from '../../src/providers/lxc/options.ts';
import { PLATFORM_KEY_PARAMETER } from '../../src/providers/lxc/plan/server-handler.ts';
import { makePlatformKeyPair } from '../../src/services/platform-key-pair.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { LXC_DATA_DIR, leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

describe('lxc images: template image names', () => {
  const settings = parseLxcOptions();
  const cases: [string, string | undefined][] = [
    ['debian-11', 'debian-11'], ['Debian 11', 'debian-11'], ['debian-11-genericcloud-amd64', 'debian-11'], ['Debian 11 (bullseye)', 'debian-11'],
    ['debian-11-generic-amd64-20240507-1740', 'debian-11'], ['debian-11-genericcloud-amd64.qcow2', 'debian-11'], ['bullseye', 'debian-11'],
    ['debian-12', 'debian-12'], ['debian-12-genericcloud-amd64', 'debian-12'], ['Debian 12 x86_64', 'debian-12'], ['Ubuntu 22.04', 'debian-12'],
    ['debian-13', 'debian-13'], ['Debian 13', 'debian-13'], ['debian-13-nocloud-amd64', 'debian-13'], ['trixie', 'debian-13'],
    ['debian-10-openstack-amd64', undefined], ['debian-14', undefined], ['centos-9', undefined],
  ];
  for (const [name, image] of cases) test(`"${name}" -> ${image ?? 'not in the catalog'}`, () => assert.equal(resolveImageName(settings, name), image));
});

const missing = (await lxcMissing()) ?? (['debian-11', 'debian-13'].filter((i) => !isImageBuilt(parseLxcOptions({ dataDir: LXC_DATA_DIR }), i)).map((i) => `the ${i} image is not built; run "stacklab image build ${i}"`)[0] ?? null);

/** Two servers on one network, each behind a floating IP, with the images a Glance catalog names. */
const TEMPLATE = `heat_template_version: 2018-08-31
parameters:
  ${PLATFORM_KEY_PARAMETER}: { type: string }
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  router_interface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
${[['old', 'debian-11-genericcloud-amd64'], ['new', 'Debian 13']]
  .map(
    ([s, image]) => `  ${s}_port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  ${s}: { type: OS::Nova::Server, properties: { image: ${image}, flavor: m1.tiny, key_name: lab, networks: [ { port: { get_resource: ${s}_port } } ] } }
  ${s}_ip: { type: OS::Neutron::FloatingIP, depends_on: router_interface, properties: { floating_network: public, port_id: { get_resource: ${s}_port } } }
`,
  )
  .join('')}outputs:
  old_ip: { value: { get_attr: [ old_ip, floating_ip_address ] } }
  new_ip: { value: { get_attr: [ new_ip, floating_ip_address ] } }
`;

describe('lxc: Debian 11 and Debian 13 servers', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const name = uniqueName('deb');
  const ref = { id: name, name };

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  test('launch, take SSH logins, and say their release', async () => {
    const pair = await makePlatformKeyPair(name);
    await provider.create({ name, template: TEMPLATE, parameters: { [PLATFORM_KEY_PARAMETER]: pair.publicKey }, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    for (const [server, major, codename] of [['old', '11', 'bullseye'], ['new', '13', 'trixie']]) {
      const target = { host: String(done.outputs[`${server}_ip`]), username: 'root', privateKey: pair.privateKey };
      await waitForLogin(target);
      const r = await sshExec(target, 'cat /etc/debian_version; . /etc/os-release; echo $VERSION_CODENAME; systemctl is-system-running --wait');
      const [version, name, systemState] = r.stdout.trim().split('\n');
      assert.match(version, new RegExp(`^${major}\\.`), `${server}: /etc/debian_version says ${version}`);
      assert.equal(name, codename);
      // systemd of each release boots in the container (a failed unit would say "degraded").
      assert.equal(systemState, 'running', `${server}: ${r.stdout} ${r.stderr}`);
    }
    const state = stackState(name);
    await provider.delete(ref);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
  });
});
