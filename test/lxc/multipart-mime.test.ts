/**
 * OS::Heat::MultipartMime and SoftwareConfig as user_data on the local runtime: the message is the
 * one Heat's own MultipartMime code makes (checked against it), its parts are applied as cloud-init
 * applies them (cloud-config parts merged, scripts run), and in a real server a cloud-config part
 * and a script part each write a file that SSH reads back.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { guestSetup } from '../../src/providers/lxc/cloud-config.ts';
import { multipartMime, userDataParts, type MimeInput } from '../../src/providers/lxc/user-data-parts.ts';
import { eventually } from '../support/eventually.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { sshExec, waitForLogin } from './ssh.ts';
import { planTemplate } from './support-plan.ts';
import { leftovers, lxcMissing, stackState, testProvider, uniqueName, waitFor } from './support.ts';

const PARTS: MimeInput[] = [
  { content: '#cloud-config\nwrite_files: [{path: /a, content: x}]\n', filename: 'cfg.cloud-config' },
  { content: '#!/bin/sh\necho é > /b\n', subtype: 'x-shellscript' },
  { content: '#cloud-config\nruncmd: [ touch /c ]\n' },
];

/** Heat's own MultipartMime code (scripts/setup-heat.sh installs Heat), building the message for PARTS. */
function heatMessage(): string | null {
  const script = `
import json, sys
from heat.engine.resources.openstack.heat.multi_part import MultipartMime as M
from email.mime import multipart
subparts = []
for p in json.load(sys.stdin):
    M._append_part(subparts, p['content'], p.get('subtype', ''), p.get('filename', ''))
sys.stdout.write(multipart.MIMEMultipart(_subparts=subparts).as_string())
`;
  try {
    return execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(PARTS), encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

const heat = heatMessage();
const withoutBoundary = (m: string) => m.replace(/={15}\d+==/g, 'BOUNDARY');

describe('MultipartMime messages', () => {
  test("the message is the one Heat's MultipartMime makes", { skip: skipUnless(heat !== null, "Heat's Python package is not installed (scripts/setup-heat.sh)") }, () => {
    assert.equal(withoutBoundary(multipartMime(PARTS)), withoutBoundary(heat!));
  });

  test("Heat's message splits into its parts, typed as cloud-init types them", { skip: skipUnless(heat !== null, "Heat's Python package is not installed (scripts/setup-heat.sh)") }, () => {
    assert.deepEqual(userDataParts(heat!).map((p) => [p.kind, p.type, p.content]), [
      // Heat makes `text/cfg` of a file name with no subtype; cloud-init has no handler for it.
      ['other', 'text/cfg', PARTS[0].content],
      ['script', 'text/x-shellscript', PARTS[1].content],
      ['cloud-config', 'text/plain', PARTS[2].content],
    ]);
  });

  test('cloud-config parts merge (maps key by key, a later value replacing) and every script runs, in order', () => {
    const message = multipartMime([
      { content: '#cloud-config\nwrite_files: [{path: /one, content: "1"}]\nssh_pwauth: false\nchpasswd: { expire: false, list: "a:b" }\n', subtype: 'cloud-config' },
      { content: '#!/bin/sh\necho first\n' },
      { content: '#cloud-config\nssh_pwauth: true\nchpasswd: { list: "c:d" }\n' },
      { content: '#!/bin/sh\necho second\n', subtype: 'x-shellscript' },
      { content: 'just text' },
    ]);
    const s = guestSetup({ hostname: 'h', name: 'h', routes: [], metadata: {}, userData: message });
    const file = (path: string) => String(s.files.find((f) => f.path === path)?.content);
    assert.equal(file('/etc/stacklab/files/0'), '1');
    assert.equal(file('/etc/ssh/sshd_config.d/50-cloud-init.conf'), 'PasswordAuthentication yes\n');
    const init = file('/etc/stacklab/init.sh');
    assert.match(init, /echo 'c:d' \| chpasswd/);
    assert.doesNotMatch(init, /a:b|passwd --expire/);
    assert.equal(file('/etc/stacklab/user-script'), '#!/bin/sh\necho first\n');
    assert.equal(file('/etc/stacklab/user-script-2'), '#!/bin/sh\necho second\n');
    assert.match(file('/etc/stacklab/final.sh'), /user-script\n\/etc\/stacklab\/user-script-2\n$/);
    assert.deepEqual(s.ignored, ['user_data that is neither #cloud-config nor a #! script']);
  });
});

/** A server whose user_data is a MultipartMime of a CloudConfig and a SoftwareConfig script. */
const TEMPLATE = `heat_template_version: 2018-08-31
resources:
  key: { type: OS::Nova::KeyPair, properties: { name: { get_param: OS::stack_name } } }
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  router_interface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  files:
    type: OS::Heat::CloudConfig
    properties:
      cloud_config:
        write_files: [ { path: /etc/from-cloud-config, content: "written by the cloud-config part\\n" } ]
  script:
    type: OS::Heat::SoftwareConfig
    properties:
      group: ungrouped
      config: |
        #!/bin/sh
        echo "written by the script part on $(hostname)" > /root/from-script
  init:
    type: OS::Heat::MultipartMime
    properties:
      parts:
        - config: { get_resource: files }
        - config: { get_resource: script }
  server:
    type: OS::Nova::Server
    properties:
      name: parts
      image: debian-12
      flavor: m1.tiny
      key_name: { get_resource: key }
      networks: [ { port: { get_resource: port } } ]
      user_data_format: SOFTWARE_CONFIG
      user_data: { get_resource: init }
  floating_ip:
    type: OS::Neutron::FloatingIP
    depends_on: router_interface
    properties: { floating_network: public, port_id: { get_resource: port } }
outputs:
  public_ip: { value: { get_attr: [ floating_ip, floating_ip_address ] } }
  private_key: { value: { get_attr: [ key, private_key ] } }
  message: { value: { get_attr: [ init, config ] } }
`;

describe('lxc planner: OS::Heat::MultipartMime', () => {
  test("a server's user_data is the message of the parts, config resources read by id", () => {
    const { plan, outputs } = planTemplate(TEMPLATE);
    const ud = plan.servers[0].userData!;
    assert.equal(outputs({}).message, ud);
    assert.deepEqual(userDataParts(ud).map((p) => [p.kind, p.content.split('\n')[0]]), [['cloud-config', '#cloud-config'], ['script', '#!/bin/sh']]);
  });
});

const missing = await lxcMissing();

describe('lxc: MultipartMime user_data in a real server', { skip: skipUnless(missing === null, missing ?? ''), concurrency: false }, () => {
  const provider = testProvider();
  const name = uniqueName('mime');
  const ref = { id: name, name };

  after(async () => {
    await provider.delete(ref).catch(() => {});
  });

  test('the cloud-config part and the script part each wrote their file', async () => {
    await provider.create({ name, template: TEMPLATE, parameters: {}, timeoutSeconds: 120 });
    const done = await waitFor(provider, ref, 'CREATE');
    assert.equal(done.status, 'COMPLETE', done.reason);
    const target = { host: String(done.outputs.public_ip), username: 'root', privateKey: String(done.outputs.private_key) };
    await waitForLogin(target);
    assert.equal((await sshExec(target, 'cat /etc/from-cloud-config')).stdout, 'written by the cloud-config part\n');
    // The script runs once after sshd starts (as cloud-init's final stage does): wait for its file.
    const script = await eventually(async () => (await sshExec(target, 'cat /root/from-script 2>/dev/null')).stdout || undefined, 30_000, 'the script part to write its file');
    assert.equal(script, 'written by the script part on parts\n');
    const state = stackState(name);
    await provider.delete(ref);
    assert.deepEqual(await leftovers(state.shortId, name, state.plan.publicIps), []);
  });
});
