/**
 * Templates the fuzz campaign (chaos/fuzz-templates.ts) found crashing, hanging or refused without
 * saying where or why, each cut down to what showed the defect. Every one must now be refused
 * with the resource, the property and a reason (or accepted, when it is valid), and never throw.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planForValidation, validateForLxc } from '../../../src/providers/lxc/validate.ts';
import { prepareStack } from '../../../src/templates/evaluate.ts';
import { validateTemplate } from '../../../src/templates/validate.ts';
import { internalCause, problemDefects } from '../../../chaos/template-fuzz/judge.ts';
import { simulate } from './helpers.ts';

const NET = `
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }`;
const hot = (resources: string, extra = '') => `heat_template_version: 2018-08-31\n${extra}resources:${NET}\n${resources}\n`;

/** The refusal of the lxc planner path, checked to be a clear refusal and not a wrapped bug. */
function lxcRefusal(text: string) {
  // Without the schema check: some of these Heat also refuses at create, but the planner is what is tested.
  assert.deepEqual(validateTemplate(text, { checkProperties: false }), [], 'Heat-level validation should pass; the planner is what is tested');
  let thrown: unknown;
  try {
    planForValidation(text);
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown, 'the planner accepted it');
  assert.equal(internalCause(thrown), undefined, `a bug, not a refusal: ${String(thrown)}`);
  const problems = validateForLxc(text);
  for (const p of problems) assert.deepEqual(problemDefects(p), [], JSON.stringify(p));
  return problems;
}

function expectOne(problems: { resource?: string; property?: string; message: string }[], resource: string, property: string, reason: RegExp) {
  assert.ok(
    problems.some((p) => p.resource === resource && p.property === property && reason.test(p.message)),
    `expected ${resource}/${property}/${reason}; got ${JSON.stringify(problems)}`,
  );
}

describe('fuzz-found: the lxc planner refuses instead of throwing', () => {
  test('a fixed IP that is not an address (was: Error "not an IPv4 address: true")', () => {
    const p = lxcRefusal(hot('  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { ip_address: true } ] } }'));
    expectOne(p, 'port', 'fixed_ips[0].ip_address', /not an IPv4 address/);
  });

  test('an allocation pool without an end (was: "not an IPv4 address: undefined")', () => {
    const p = lxcRefusal(`heat_template_version: 2018-08-31
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24, allocation_pools: [ { start: 10.0.0.10 } ] } }
`);
    expectOne(p, 'subnet', 'allocation_pools[0].end', /required/);
  });

  test('a floating IP association whose floatingip_id is a port (was: TypeError setting "port")', () => {
    const p = lxcRefusal(hot(`  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net } } }
  assoc: { type: OS::Neutron::FloatingIPAssociation, properties: { floatingip_id: { get_resource: port }, port_id: { get_resource: port } } }`));
    expectOne(p, 'assoc', 'floatingip_id', /not a floating IP/);
  });

  test('a map where text belongs is refused, not turned into "[object Object]"', () => {
    const p = lxcRefusal(hot('  server: { type: OS::Nova::Server, properties: { image: { name: debian-12 }, flavor: m1.tiny, networks: [ { network: { get_resource: net } } ] } }'));
    expectOne(p, 'server', 'image', /must be a string, not a map/);
  });

  test('a route without a next hop is refused with the route it is in', () => {
    const p = lxcRefusal(hot(`  router: { type: OS::Neutron::Router }
  routes: { type: OS::Neutron::ExtraRouteSet, properties: { router: { get_resource: router }, routes: [ { destination: 10.9.0.0/24 } ] } }`));
    expectOne(p, 'routes', 'routes[0].nexthop', /required/);
  });
});

describe('fuzz-found: RandomString ends and is bounded', () => {
  test('a character sequence longer than 256 characters (was: an endless loop)', () => {
    const text = hot(`  password: { type: OS::Heat::RandomString, properties: { length: 8, character_sequences: [ { sequence: '${'ab'.repeat(150)}' } ] } }`);
    assert.deepEqual(validateForLxc(text), []);
  });

  test('a length of a billion is refused, not allocated', () => {
    const p = lxcRefusal(hot('  password: { type: OS::Heat::RandomString, properties: { length: 1000000000 } }'));
    expectOne(p, 'password', 'length', /whole number from 1 to 512/);
  });
});

describe('fuzz-found: names every object inherits are not found in a template', () => {
  test('a resource type "constructor" (was: TypeError type.startsWith)', () => {
    const problems = validateTemplate('heat_template_version: 2018-08-31\nresources:\n  thing: { type: constructor }\n');
    expectOne(problems, 'thing', 'type', /could not be found/);
  });

  test('get_resource: toString is an unknown resource, and a parameter called constructor works', () => {
    const problems = validateTemplate('heat_template_version: 2018-08-31\nresources:\n  v: { type: OS::Heat::Value, properties: { value: { get_resource: toString } } }\n');
    expectOne(problems, 'v', 'value', /reference "toString"/);
    const text = 'heat_template_version: 2018-08-31\nparameters:\n  constructor: { type: string, default: x }\nresources:\n  v: { type: OS::Heat::Value, properties: { value: { get_param: constructor } } }\n';
    assert.deepEqual(validateTemplate(text), []);
    assert.equal(simulate(prepareStack(text, { parameters: {} })).properties.v!.value, 'x');
  });

  test('an image or a flavor called constructor', () => {
    const p = lxcRefusal(hot('  server: { type: OS::Nova::Server, properties: { image: constructor, flavor: m1.tiny, networks: [ { network: { get_resource: net } } ] } }'));
    expectOne(p, 'server', 'image', /not in the local image catalog/);
    const ok = hot('  server: { type: OS::Nova::Server, properties: { image: debian-12, flavor: constructor, networks: [ { network: { get_resource: net } } ] } }');
    assert.deepEqual(validateForLxc(ok), []);
  });

  test('heat_template_version: constructor is an unknown version', () => {
    const [p] = validateTemplate('heat_template_version: constructor\nresources: {}\n');
    assert.match(p!.message, /template version is invalid/);
  });
});

describe('fuzz-found: every refusal names its property and quotes values readably', () => {
  const clear = (problems: Parameters<typeof problemDefects>[0][]) => {
    assert.ok(problems.length > 0);
    for (const p of problems) assert.deepEqual(problemDefects(p), [], JSON.stringify(p));
  };

  test('a resource without a type, or an empty one', () => {
    clear(validateTemplate('heat_template_version: 2018-08-31\nresources:\n  a: { properties: {} }\n  b:\n'));
  });

  test('a type the local runtime does not build names the type property', () => {
    const p = lxcRefusal(hot('  database: { type: OS::Trove::Instance, properties: { flavor: m1.small, size: 1 } }'));
    expectOne(p, 'database', 'type', /not supported by the local runtime/);
  });

  test('a function call that is the whole properties mapping', () => {
    const problems = validateTemplate('heat_template_version: 2018-08-31\nresources:\n  v: { type: OS::Heat::Value, properties: { get_param: [] } }\n');
    expectOne(problems, 'v', 'properties', /Incorrect arguments to "get_param"/);
  });

  test('two ports on one fixed address, and a floating IP no router reaches', () => {
    const p = lxcRefusal(hot(`  a: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { ip_address: 10.0.0.5 } ] } }
  b: { type: OS::Neutron::Port, properties: { network: { get_resource: net }, fixed_ips: [ { ip_address: 10.0.0.5 } ] } }`));
    expectOne(p, 'b', 'fixed_ips', /already used by a/);
    const fip = lxcRefusal(hot(`  port: { type: OS::Neutron::Port, properties: { network: { get_resource: net } } }
  fip: { type: OS::Neutron::FloatingIP, properties: { floating_network: public, port_id: { get_resource: port } } }`));
    expectOne(fip, 'fip', 'port_id', /not joined .* to a router/);
  });

  test('an empty document is refused on line 1', () => {
    const [p] = validateTemplate('');
    assert.equal(p!.line, 1);
  });

  test('a map given as the version or as a make_url port is quoted as JSON', () => {
    const [version] = validateTemplate('heat_template_version: { a: 1 }\n');
    assert.match(version!.message, /heat_template_version: \{"a":1\}/);
    const text = hot('  c: { type: OS::Heat::SoftwareConfig, properties: { config: { make_url: { host: example.org, port: { a: 1 } } } } }');
    const p = lxcRefusal(text);
    assert.ok(p.some((x) => x.resource === 'c' && /"port" must be a string or a number, not \{"a": 1\}/.test(x.message)), JSON.stringify(p));
  });
});
