/**
 * How security groups and servers on the external network are planned (no root needed): what
 * `stacklab validate --provider lxc` accepts, what it refuses with the resource and property, which
 * NICs are filtered by which groups, and the nft text the rules become (checked by nft itself on
 * the real host in security-groups.test.ts; here the parts a mistake would silently open).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPlan } from '../../src/providers/lxc/build-plan.ts';
import { prepareStack } from '../../src/providers/lxc/evaluator.ts';
import { parseLxcOptions } from '../../src/providers/lxc/options.ts';
import type { StackPlan } from '../../src/providers/lxc/plan.ts';
import { securityRules } from '../../src/providers/lxc/security-groups.ts';
import { validateForLxc } from '../../src/providers/lxc/validate.ts';

const BASE = `heat_template_version: 2018-08-31
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
`;

function plan(resources: string): StackPlan {
  let n = 0;
  return buildPlan({
    stackName: 's', stackId: 's', shortId: 'abc123', evaluation: prepareStack(BASE + resources, { parameters: {} }), settings: parseLxcOptions({}),
    allocatePublicIp: () => `10.254.9.${++n}`, dryRun: true,
  }).plan;
}

const problems = (resources: string) => validateForLxc(BASE + resources).map((p) => `${p.resource} ${p.property}: ${p.message}`);

describe('lxc plan: security groups', () => {
  test('groups by resource, by name, a rule resource, remote groups: accepted, each NIC with its own groups', () => {
    const text = `
  web_sg:
    type: OS::Neutron::SecurityGroup
    properties:
      name: web
      rules:
        - { protocol: tcp, port_range_min: 80, port_range_max: 81, remote_ip_prefix: 192.0.2.7 }
        - { protocol: icmp, port_range_min: 8 }
        - { remote_mode: remote_group_id }
        - { direction: egress, ethertype: IPv6 }
  extra: { type: OS::Neutron::SecurityGroupRule, properties: { security_group: web, protocol: 17, port_range_min: 53, remote_group: { get_resource: web_sg } } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, security_groups: [ { get_resource: web_sg } ], allowed_address_pairs: [ { ip_address: 10.0.0.99 } ] } }
  open_port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, port_security_enabled: false } }
  a: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { port: { get_resource: port } } ] } }
  b: { type: OS::Nova::Server, properties: { flavor: m1.tiny, security_groups: [ web, default ], networks: [ { network: { get_resource: net } } ] } }
  c: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { port: { get_resource: open_port } } ] } }
  d: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { network: { get_resource: net } } ] } }
`;
    assert.deepEqual(problems(text), [], 'stacklab validate --provider lxc lists nothing');
    const p = plan(text);
    const nics = Object.fromEntries(p.servers.map((s) => [s.resource, s.nics[0]]));
    assert.deepEqual(nics.a.securityGroups, ['web_sg']);
    assert.deepEqual(nics.a.allowedAddresses, ['10.0.0.99']);
    assert.deepEqual(nics.b.securityGroups, ['web_sg']);
    assert.equal(nics.c.securityGroups, undefined, 'port_security_enabled: false');
    assert.equal(nics.d.securityGroups, undefined, 'no group given: not filtered');
    assert.ok(p.notes.some((n) => n.includes('"default"')), p.notes.join('\n'));
    assert.deepEqual(p.security!.groups[0].rules, [
      { direction: 'ingress', protocol: 6, portMin: 80, portMax: 81, remoteIpPrefix: '192.0.2.7/32' },
      { direction: 'ingress', protocol: 1, portMin: 8, portMax: undefined, remoteIpPrefix: undefined },
      { direction: 'ingress', protocol: undefined, portMin: undefined, portMax: undefined, remoteIpPrefix: undefined, remoteGroup: 'web_sg' },
      { direction: 'ingress', protocol: 17, portMin: 53, portMax: 53, remoteIpPrefix: undefined, remoteGroup: 'web_sg' },
    ]);
    const nft = securityRules(p);
    // Members' addresses (allowed pairs too) make the remote group; each filtered NIC ends in a drop.
    assert.match(nft, /add element inet stacklab_default slabc123_g0 \{ 10\.0\.0\.\d+, 10\.0\.0\.99, 10\.0\.0\.\d+ \}/);
    assert.match(nft, /flush chain inet stacklab_default slabc123_in1\nadd rule inet stacklab_default slabc123_in1 meta nfproto ipv4 ip saddr 192\.0\.2\.7\/32 meta l4proto 6 th dport 80-81 return\nadd rule inet stacklab_default slabc123_in1 meta nfproto ipv4 meta l4proto icmp icmp type 8 return\n/);
    assert.match(nft, /slabc123_in1 meta nfproto ipv4 ip saddr @slabc123_g0 meta l4proto 17 th dport 53 return\nadd rule inet stacklab_default slabc123_in1 drop\n/);
    assert.match(nft, /flush chain inet stacklab_default slabc123_out1\nadd rule inet stacklab_default slabc123_out1 meta nfproto ipv4 ip saddr != \{ 10\.0\.0\.\d+, 10\.0\.0\.99 \} drop\nadd rule inet stacklab_default slabc123_out1 return\n/);
    assert.doesNotMatch(nft, /nic_in \{[^}]*slabc123s[23]e0|slabc123_pre iifname "slabc123s[23]e0"|oifname "slabc123s[23]e0" meta mark set/, 'unfiltered NICs get no MAC check and no port number');
  });

  test('a remote group that is not the template\'s is refused where it is named', () => {
    assert.deepEqual(problems(`
  sg: { type: OS::Neutron::SecurityGroup, properties: { rules: [ { remote_mode: remote_group_id, remote_group_id: nowhere } ] } }
  rule: { type: OS::Neutron::SecurityGroupRule, properties: { security_group: { get_resource: sg }, remote_group: elsewhere } }
`).sort(), [
      'rule remote_group: remote group "elsewhere" is not a security group of this template',
      'sg rules[0].remote_group_id: remote group "nowhere" is not a security group of this template',
    ]);
  });

  test('an egress rule replaces the allow-all egress of its group', () => {
    const p = plan(`
  sg: { type: OS::Neutron::SecurityGroup, properties: { rules: [ { direction: egress, protocol: tcp, port_range_min: 443, remote_ip_prefix: 0.0.0.0/0 } ] } }
  s: { type: OS::Nova::Server, properties: { flavor: m1.tiny, security_groups: [ { get_resource: sg } ], networks: [ { network: { get_resource: net } } ] } }
`);
    assert.match(securityRules(p), /slabc123_out1 .* drop\nadd rule \S+ \S+ slabc123_out1 meta nfproto ipv4 meta l4proto 6 th dport 443 return\nadd rule \S+ \S+ slabc123_out1 drop\n/);
  });

  test('an empty list of groups lets nothing in or out (Neutron\'s port with no group)', () => {
    const p = plan(`
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, security_groups: [] } }
  s: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { port: { get_resource: port } } ] } }
`);
    assert.deepEqual(p.servers[0].nics[0].securityGroups, []);
    assert.match(securityRules(p), /slabc123_out1 meta nfproto ipv4 ip saddr != \{ \S+ \} drop\nadd rule \S+ \S+ slabc123_out1 drop\nadd chain \S+ \S+ slabc123_in1\nflush chain \S+ \S+ slabc123_in1\nadd rule \S+ \S+ slabc123_in1 drop\n/);
  });

  test('refusals name the resource and the property', () => {
    const found = problems(`
  sg:
    type: OS::Neutron::SecurityGroup
    properties:
      rules:
        - { protocol: tcp, port_range_min: 90, port_range_max: 80 }
        - { protocol: carrier-pigeon }
        - { direction: sideways }
        - { remote_ip_prefix: 10.0.0.0/33 }
        - { remote_mode: remote_group_id, remote_group_id: nowhere }
  rule: { type: OS::Neutron::SecurityGroupRule, properties: { security_group: missing, protocol: tcp } }
  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, port_security_enabled: false, security_groups: [ { get_resource: sg } ] } }
`);
    assert.equal(found.length, 6, found.join('\n'));
    const sorted = found.sort();
    assert.equal(sorted[0], 'port security_groups: a port with port_security_enabled false cannot have security_groups (Neutron refuses it)');
    assert.equal(sorted[1], 'rule security_group: security group "missing" is not a security group of this template');
    assert.equal(sorted[2], 'sg rules[0].port_range_min: port_range_min 90 is above port_range_max 80');
    assert.match(sorted[3], /^sg rules\[1\]\.protocol: protocol "carrier-pigeon" is not an IPv4 protocol/);
    assert.equal(sorted[4], 'sg rules[2].direction: direction must be ingress or egress, not "sideways"');
    assert.match(sorted[5], /^sg rules\[3\]\.remote_ip_prefix: "10\.0\.0\.0\/33" is not an IPv4 network/);
  });
});

describe('lxc plan: servers on the external network', () => {
  test('accepted: a public address each, the host end as gateway, one namespace for the stack', () => {
    const text = `
  a: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { network: public }, { network: { get_resource: net } } ] } }
  b: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { uuid: ext-net } ] } }
`;
    assert.deepEqual(problems(text), [], 'stacklab validate --provider lxc lists nothing');
    const p = plan(text);
    const [a, b] = p.servers;
    assert.equal(a.nics[0].ip, '10.254.9.2');
    assert.equal(a.nics[0].gateway, '10.254.0.1');
    assert.equal(a.nics[0].prefix, 16);
    assert.equal(a.nics[1].gateway, undefined, 'one default route: the first NIC\'s');
    assert.equal(b.nics[0].ip, '10.254.9.3');
    assert.deepEqual(p.external, { bridge: 'slabc123x', netns: 'slabc123xr', legHostIf: 'slabc123xi', gatewayHostIf: 'slabc123xg', gatewayIp: '10.254.9.1', addresses: ['10.254.9.2', '10.254.9.3'] });
    assert.deepEqual(p.publicIps, ['10.254.9.1', '10.254.9.2', '10.254.9.3']);
    assert.deepEqual(p.attributes.a.networks, { public: ['10.254.9.2'], 's-net': [a.nics[1].ip] });
    assert.equal(p.attributes.b.first_address, '10.254.9.3');
  });

  test('a fixed address on it, or a network that is neither the template\'s nor external, is refused', () => {
    const found = problems(`
  a: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { network: public, fixed_ip: 10.254.3.3 } ] } }
  b: { type: OS::Nova::Server, properties: { flavor: m1.tiny, networks: [ { network: privat } ] } }
`);
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found[0], /^a networks\[0\]\.fixed_ip: the external network "public"/);
    assert.match(found[1], /^b networks\[0\]\.network: network "privat" is not a network of this template nor an external network/);
  });
});
