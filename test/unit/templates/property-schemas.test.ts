/** Properties against Heat's resource schemas: the rules one by one, with Heat's wording. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateTemplate } from '../../../src/templates/validate.ts';

const T = 'heat_template_version: 2018-08-31\nresources:\n';
const said = (resources: string) => validateTemplate(T + resources).map((p) => `${p.resource} ${p.property}: ${p.message}`);

describe('properties against Heat resource schemas', () => {
  test('values of the right type pass, strings Heat converts included; function calls are not judged', () => {
    assert.deepEqual(said('  r: {type: OS::Heat::RandomString, properties: {length: "12", character_classes: [{class: digits, min: 2}]}}\n'), []);
    assert.deepEqual(said('  n: {type: OS::Neutron::Net, properties: {admin_state_up: yes, port_security_enabled: "False", name: 42}}\n'), []);
    assert.deepEqual(said('  r: {type: OS::Heat::RandomString, properties: {length: {str_replace: {template: "1x", params: {x: 2}}}}}\n'), []);
  });

  test('wrong types, values outside the allowed ones or the range, and patterns are refused with the path', () => {
    // "yes" quoted is text, which Heat does not take as a boolean (unquoted yes is YAML's true).
    assert.deepEqual(said('  n: {type: OS::Neutron::Net, properties: {admin_state_up: "Yes", name: 1.5}}\n'), ['n admin_state_up: "yes" is not a valid boolean', 'n name: Value must be a string; got 1.5']);
    assert.deepEqual(said('  r: {type: OS::Heat::RandomString, properties: {character_classes: [{class: emoji}]}}\n'), [
      'r character_classes[0].class: "emoji" is not an allowed value ["lettersdigits", "letters", "lowercase", "uppercase", "digits", "hexdigits", "octdigits"]',
    ]);
    assert.deepEqual(said('  r: {type: OS::Heat::RandomString, properties: {length: 0}}\n'), ['r length: 0 is out of range (min: 1, max: 512)']);
    assert.deepEqual(said('  a: {type: AWS::EC2::VolumeAttachment, properties: {InstanceId: i, VolumeId: v, Device: /dev/sda}}\n'), ['a Device: "/dev/sda" does not match pattern "/dev/vd[b-z]"']);
    assert.deepEqual(said('  s: {type: OS::Heat::Value, properties: {value: 1, type: tuple}}\n'), ['s type: "tuple" is not an allowed value ["string", "number", "comma_delimited_list", "json", "boolean"]']);
  });

  test('a deployment to a server of the template whose user_data_format is not SOFTWARE_CONFIG is refused, as Heat\'s SoftwareDeployment.validate does', () => {
    const server = (format: string) => `  s: {type: OS::Nova::Server, properties: {image: i, flavor: f, user_data_format: ${format}}}\n`;
    const message = "Resource s's property user_data_format should be set to SOFTWARE_CONFIG since there are software deployments on it.";
    assert.deepEqual(said(`${server('RAW')}  d: {type: OS::Heat::SoftwareDeployment, properties: {server: {get_resource: s}}}\n`), [`d server: ${message}`]);
    assert.deepEqual(said(`${server('HEAT_CFNTOOLS')}  d: {type: OS::Heat::SoftwareDeployment, properties: {server: s}}\n`), [`d server: ${message}`]);
    assert.deepEqual(said(`${server('SOFTWARE_CONFIG')}  d: {type: OS::Heat::SoftwareDeployment, properties: {server: {get_resource: s}}}\n`), []);
    // A group's deployments are in a nested stack, where Heat does not find the server.
    assert.deepEqual(said(`${server('RAW')}  d: {type: OS::Heat::SoftwareDeploymentGroup, properties: {servers: {a: {get_resource: s}}}}\n`), []);
  });

  test('a list is allowed when each of its items is (Heat\'s AllowedValues on a list, as SoftwareDeployment actions use it)', () => {
    assert.deepEqual(said('  d: {type: OS::Heat::SoftwareDeployment, properties: {server: s, actions: [SUSPEND, RESUME]}}\n'), []);
    assert.deepEqual(said('  d: {type: OS::Heat::SoftwareDeployment, properties: {server: s, actions: [SUSPEND, REBOOT]}}\n'), [
      'd actions: ["SUSPEND", "REBOOT"] is not an allowed value ["CREATE", "UPDATE", "DELETE", "SUSPEND", "RESUME"]',
    ]);
  });

  test('required properties, also inside list items; a hidden old name counts for the new one', () => {
    assert.deepEqual(said('  s: {type: OS::Neutron::Subnet, properties: {cidr: 10.0.0.0/24, allocation_pools: [{start: 10.0.0.2}]}}\n'), [
      's allocation_pools[0].end: Property end not assigned',
      's network: Property network not assigned',
    ]);
    assert.deepEqual(said('  s: {type: OS::Neutron::Subnet, properties: {network_id: x, cidr: 10.0.0.0/24}}\n'), []);
  });

  test("a ResourceGroup's member definition is checked against its type", () => {
    assert.deepEqual(said('  g: {type: OS::Heat::ResourceGroup, properties: {count: 2, resource_def: {type: OS::Nova::Server, properties: {name: n-%index%, image: i}}}}\n'), [
      'g resource_def.properties.flavor: Property flavor not assigned',
    ]);
  });

  test('unknown names, top level and nested, with the nearest known one', () => {
    assert.deepEqual(said('  s: {type: OS::Nova::Server, properties: {flavor: f, imagee: i, networks: [{subnetz: x}]}}\n'), [
      's imagee: Unknown Property imagee. Did you mean image?',
      's networks[0].subnetz: Unknown Property subnetz. Did you mean subnet?',
    ]);
  });
});
