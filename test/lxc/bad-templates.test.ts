/**
 * Templates the local runtime cannot run are refused with the resource, the type and why: by
 * validateForLxc (no root needed) and by create (TEMPLATE_INVALID, before anything is built).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateForLxc } from '../../src/providers/lxc/validate.ts';
import { ProviderError } from '../../src/providers/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { LXC_DATA_DIR, LXC_HOME, labTemplate, lxcMissing, testProvider, uniqueName } from './support.ts';

const NET = `
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }`;

const server = (props: string) => `
  server:
    type: OS::Nova::Server
    properties:
      flavor: m1.small
${props}`;

const CASES: { name: string; template: string; expect: RegExp[] }[] = [
  {
    name: 'a resource type the runtime cannot emulate',
    template: `heat_template_version: 2016-10-14\nresources:${NET}\n  database: { type: OS::Trove::Instance, properties: { flavor: m1.small, size: 1 } }\n`,
    expect: [/database/, /OS::Trove::Instance/, /not supported/],
  },
  {
    name: 'an image that is not in the catalog',
    template: `heat_template_version: 2016-10-14\nresources:${NET}${server('      image: windows-server-2019\n      networks: [ { network: { get_resource: net } } ]')}`,
    expect: [/server/, /windows-server-2019/, /catalog/],
  },
  {
    name: 'a server on a network the template does not make',
    template: `heat_template_version: 2016-10-14\nresources:${NET}${server('      image: debian-12\n      networks: [ { network: private } ]')}`,
    expect: [/server/, /private/, /network/],
  },
  {
    name: 'a floating IP on a network no router joins to the outside',
    template: `heat_template_version: 2016-10-14\nresources:${NET}
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { subnet: { get_resource: subnet } } ] } }
  fip: { type: OS::Neutron::FloatingIP, properties: { floating_network: public, port_id: { get_resource: port } } }
`,
    expect: [/fip/, /router/],
  },
  {
    name: 'a parameter value its constraints refuse',
    template: `heat_template_version: 2016-10-14
parameters:
  flavor: { type: string, default: huge, constraints: [ { allowed_values: [ m1.small, m1.tiny ] } ] }
resources:${NET}
`,
    expect: [/flavor/, /huge|allowed/],
  },
  {
    name: 'overlapping subnets',
    template: `heat_template_version: 2016-10-14\nresources:${NET}\n  subnet2: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.128/25 } }\n`,
    expect: [/subnet2/, /overlaps/],
  },
];

describe('lxc: bad templates are refused clearly', () => {
  for (const c of CASES)
    test(`validateForLxc: ${c.name}`, () => {
      const problems = validateForLxc(c.template, { file: 'bad.yaml' });
      assert.ok(problems.length > 0, 'no problem reported');
      const text = problems.map((p) => `${p.resource ?? ''} ${p.property ?? ''} ${p.message}`).join('\n');
      for (const re of c.expect) assert.match(text, re);
    });

  test('every part the runtime cannot run is listed, not only the first, without echoes of the refused ones', () => {
    const template = `heat_template_version: 2016-10-14
resources:${NET}
  database: { type: OS::Trove::Instance, properties: { flavor: m1.small, size: 1 } }
  structured: { type: OS::Heat::StructuredConfig, properties: { config: { a: 1 } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { ip_address: 10.9.9.9 } ] } }
  web:
    type: OS::Nova::Server
    properties:
      flavor: m1.small
      image: windows-server-2019
      user_data: { get_resource: structured }
      user_data_format: RAW
      networks: [ { network: elsewhere } ]
  db:
    type: OS::Nova::Server
    properties: { flavor: m1.small, image: debian-12, networks: [ { port: { get_resource: port } } ] }
`;
    const found = validateForLxc(template, { file: 'bad.yaml' }).map((p) => `${p.resource} ${p.property}: ${p.message}`);
    assert.equal(found.length, 5, found.join('\n'));
    assert.match(found[0], /^database type: .*OS::Trove::Instance/);
    assert.match(found[1], /^structured type: .*OS::Heat::StructuredConfig/);
    const rest = found.slice(2).sort();
    assert.match(rest[0], /^port fixed_ips: fixed IP 10\.9\.9\.9 is not in subnet/);
    assert.match(rest[1], /^web image: .*windows-server-2019/);
    assert.match(rest[2], /^web networks\[0\]\.network: network "elsewhere"/);
  });

  test("types are judged as the environment's resource_registry maps them, as Heat builds them", () => {
    const template = `heat_template_version: 2016-10-14\nresources:\n  net: { type: My::Net }\n  db: { type: My::Database, properties: { flavor: m1.small, size: 1 } }\n`;
    const environment = 'resource_registry:\n  My::Net: OS::Neutron::Net\n  My::Database: OS::Trove::Instance\n';
    const found = validateForLxc(template, { file: 'mapped.yaml', environment }).map((p) => `${p.resource} ${p.property}: ${p.message}`);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0]!, /^db type: type My::Database \(mapped to OS::Trove::Instance by the environment\) is not supported/);
  });

  test('the sample labs are valid for the local runtime', () => {
    for (const lab of ['single-server', 'ten-servers']) assert.deepEqual(validateForLxc(labTemplate(lab), { file: `${lab}/template.yaml` }), []);
  });
});

const missing = await lxcMissing();

describe('lxc: create refuses bad templates before building anything', { skip: skipUnless(missing === null, missing ?? '') }, () => {
  test('TEMPLATE_INVALID names the resource and the type; no state, container or reservation is left', async () => {
    const provider = testProvider();
    const name = uniqueName('bad');
    const before = readdirSync(join(LXC_DATA_DIR, 'reservations', 'ip')).length;
    const err = await provider.create({ name, template: CASES[0].template, parameters: {}, timeoutSeconds: 60 }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ProviderError, String(err));
    assert.equal(err.code, 'TEMPLATE_INVALID');
    assert.match(err.userMessage, /database.*OS::Trove::Instance|OS::Trove::Instance.*database/);
    assert.equal(await provider.get({ id: name, name }), null);
    assert.equal(existsSync(join(LXC_HOME, 'stacks', `${name}.json`)), false);
    assert.ok(readdirSync(join(LXC_DATA_DIR, 'reservations', 'ip')).length <= before);

    const fip = await provider.create({ name, template: CASES.find((c) => c.name.startsWith('a floating IP'))!.template, parameters: {}, timeoutSeconds: 60 }).catch((e: unknown) => e);
    assert.ok(fip instanceof ProviderError && fip.code === 'TEMPLATE_INVALID', String(fip));
    assert.equal(existsSync(join(LXC_HOME, 'stacks', `${name}.json`)), false, 'a refused create left a state file');
  });

  test('validate() on the provider returns the same problems as sentences', async () => {
    const problems = await testProvider().validate!({ template: CASES[1].template, parameters: {} });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /windows-server-2019/);
  });
});
