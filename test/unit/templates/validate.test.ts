import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateTemplate } from '../../../src/templates/validate.ts';
import { formatProblem, type TemplateProblem } from '../../../src/templates/problems.ts';
import { fixture } from './helpers.ts';

function only(problems: TemplateProblem[], re: RegExp): TemplateProblem {
  const found = problems.filter((p) => re.test(p.message));
  assert.equal(found.length, 1, `one problem matching ${re} expected, got:\n${problems.map(formatProblem).join('\n')}`);
  return found[0]!;
}

describe('validateTemplate: the realistic fixtures are valid', () => {
  for (const [name, parameters] of [
    ['ten-servers.yaml', {}],
    ['single-server.yaml', {}],
    ['hastexo-sample.yaml', { run: 'course-v1:hastexo+hx212+201_T1' }],
  ] as const) {
    test(name, () => {
      const problems = validateTemplate(fixture(name), { file: name, parameters, requireAllParameters: true, localRuntime: true });
      assert.deepEqual(problems.map(formatProblem), []);
    });
  }
});

describe('validateTemplate: each problem names file, line, resource and property', () => {
  test('bad YAML', () => {
    const [p, ...rest] = validateTemplate(fixture('broken/bad-yaml.yaml'), { file: 'bad-yaml.yaml' });
    assert.equal(rest.length, 0);
    assert.equal(p!.file, 'bad-yaml.yaml');
    assert.ok(p!.line === 7 || p!.line === 8, `line ${p!.line}`);
    assert.match(p!.message, /^invalid YAML: Flow sequence/);
  });

  test('unknown resource type, in Heat words, with a suggestion', () => {
    const p = only(validateTemplate(fixture('broken/unknown-type.yaml'), { file: 'unknown-type.yaml' }), /could not be found/);
    assert.equal(formatProblem(p), "unknown-type.yaml:8: resource 'server', property 'type': The Resource Type (OS::Nova::Servr) could not be found. Did you mean OS::Nova::Server?");
  });

  test('a type mapped by the environment is known; a registry loop is refused', () => {
    const text = 'heat_template_version: 2018-08-31\nresources:\n  s: {type: "Lab::Server", properties: {flavor: m1.tiny}}\n  v: {type: "Vendor::Thing"}\n';
    const env = 'resource_registry:\n  "Lab::Server": "OS::Nova::Server"\n  "Vendor::Thing": "Vendor::Thing"\n';
    assert.deepEqual(validateTemplate(text, { environment: env }), []);
    assert.match(only(validateTemplate(text), /Lab::Server/).message, /The Resource Type \(Lab::Server\) could not be found/);
    const mapped = only(validateTemplate(text, { environment: 'resource_registry: {"Lab::Server": "OS::Nova::Sever", "Vendor::Thing": "Vendor::Thing"}' }), /could not be found/);
    assert.match(mapped.message, /\(OS::Nova::Sever\) could not be found.*Lab::Server is mapped to it by the environment/);
    assert.equal(mapped.resource, 's');
    const loop = validateTemplate(text, { environment: 'resource_registry: {"Lab::Server": "Lab::Other", "Lab::Other": "Lab::Server", "Vendor::Thing": "Vendor::Thing"}' });
    assert.match(only(loop, /loop/).message, /maps the type Lab::Server in a loop/);
  });

  test('nested template types need their file', () => {
    const text = 'heat_template_version: 2018-08-31\nresources:\n  n: {type: server.yaml}\n';
    assert.match(only(validateTemplate(text), /server.yaml/).message, /Could not fetch remote template "server.yaml"/);
    assert.deepEqual(validateTemplate(text, { files: { 'server.yaml': 'heat_template_version: 2018-08-31\n' } }), []);
  });

  test('bad get_attr: unknown attribute and missing resource (in an output)', () => {
    const problems = validateTemplate(fixture('broken/bad-get-attr.yaml'), { file: 'bad-get-attr.yaml' });
    const attr = only(problems, /Referenced Attribute/);
    assert.deepEqual([attr.resource, attr.property, attr.line], ['server', 'metadata.fingerprint', 17]);
    assert.match(attr.message, /The Referenced Attribute \(training_key fingerprint\) is incorrect/);
    const output = only(problems, /floating_ip/);
    assert.deepEqual([output.output, output.line], ['public_ip', 21]);
    assert.match(output.message, /The specified reference "floating_ip" \(in Outputs.public_ip\) is incorrect/);
  });

  test('dependency cycle through get_attr and depends_on', () => {
    const p = only(validateTemplate(fixture('broken/cycle.yaml'), { file: 'cycle.yaml' }), /Circular/);
    assert.equal(p.message, 'Circular Dependency Found: port_a -> port_b -> port_c -> port_a');
    assert.deepEqual([p.resource, p.line], ['port_a', 4]);
    const self = validateTemplate('heat_template_version: 2018-08-31\nresources:\n  a: {type: OS::Heat::Value, properties: {value: {get_resource: a}}}\n');
    assert.equal(only(self, /Circular/).message, 'Circular Dependency Found: a -> a');
  });

  test('missing parameter and undeclared get_param', () => {
    const problems = validateTemplate(fixture('broken/missing-parameter.yaml'), { file: 'missing-parameter.yaml', requireAllParameters: true });
    const missing = only(problems, /was not provided/);
    assert.equal(formatProblem(missing), "missing-parameter.yaml:4: parameter 'key_name': The Parameter (key_name) was not provided.");
    const undeclared = only(problems, /flavour/);
    assert.deepEqual([undeclared.resource, undeclared.property, undeclared.line], ['server', 'flavor', 16]);
    // Without requireAllParameters (an author checking a template without values), only the reference.
    assert.equal(validateTemplate(fixture('broken/missing-parameter.yaml')).length, 1);
    // With the value, only the reference remains too.
    assert.equal(validateTemplate(fixture('broken/missing-parameter.yaml'), { parameters: { key_name: 'k' }, requireAllParameters: true }).length, 1);
  });

  test('failing constraints, on given values and on the environment', () => {
    const text = fixture('broken/failing-constraint.yaml');
    assert.deepEqual(validateTemplate(text), [], 'the defaults satisfy the constraints');
    const problems = validateTemplate(text, { file: 'f.yaml', parameters: { flavor: 'm1.huge', servers: '11', user: 'Training' } });
    assert.equal(formatProblem(only(problems, /Labs run on/)), "f.yaml:4: parameter 'flavor': Parameter 'flavor' is invalid: Labs run on m1.small or m1.medium");
    assert.match(only(problems, /servers/).message, /11 is out of range \(min: 1, max: 10\)/);
    assert.match(only(problems, /'user'/).message, /"Training" does not match pattern "\[a-z\]\+"/);
    const fromEnv = validateTemplate(text, { environment: 'parameters:\n  servers: 0\n' });
    assert.match(only(fromEnv, /servers/).message, /0 is out of range/);
    assert.match(only(validateTemplate(text, { parameters: { nope: 1 } }), /nope/).message, /The Parameter \(nope\) was not defined in template/);
    assert.deepEqual(validateTemplate(text, { parameters: { nope: 1 }, ignoreUnknownParameters: true }), []);
  });

  test('a default that breaks its own constraint is refused', () => {
    const text = 'heat_template_version: 2018-08-31\nparameters:\n  n: {type: number, default: 50, constraints: [{range: {max: 10}}]}\n';
    const p = only(validateTemplate(text), /default/);
    assert.deepEqual([p.parameter, p.line], ['n', 3]);
  });

  test('version, sections, keywords and function versions', () => {
    assert.match(only(validateTemplate(fixture('broken/bad-version.yaml')), /version/).message, /The template version is invalid/);
    const problems = validateTemplate(fixture('broken/bad-structure.yaml'), { file: 'b.yaml' });
    assert.equal(only(problems, /section is invalid/).line, 3);
    assert.deepEqual([only(problems, /missing "type"/).resource, only(problems, /missing "type"/).line], ['no_type', 7]);
    assert.equal(only(problems, /must be a mapping/).resource, 'list_properties');
    assert.equal(only(problems, /"propertys" is not a valid keyword/).line, 16);
    const fn = only(problems, /"if" needs/);
    assert.deepEqual([fn.resource, fn.property, fn.line], ['wrong_version_function', 'value', 22]);
    assert.deepEqual(problems.map((p) => p.line), [...problems.map((p) => p.line)].sort((a, b) => a! - b!), 'sorted by line');
  });

  test('depends_on a missing resource and a condition that is not declared', () => {
    const text = [
      'heat_template_version: 2018-08-31',
      'resources:',
      '  a:',
      '    type: OS::Heat::Value',
      '    depends_on: [b, ghost]',
      '    condition: prod',
      '  b: {type: OS::Heat::Value}',
    ].join('\n');
    const problems = validateTemplate(text);
    const dep = only(problems, /ghost/);
    assert.deepEqual([dep.resource, dep.property, dep.line], ['a', 'depends_on', 5]);
    assert.match(dep.message, /The specified reference "ghost" \(in a\) is incorrect/);
    assert.deepEqual([only(problems, /prod/).property, only(problems, /prod/).line], ['condition', 6]);
  });

  test('yaql is accepted for Heat but refused for the local runtime', () => {
    const text = 'heat_template_version: 2018-08-31\nresources:\n  v:\n    type: OS::Heat::Value\n    properties:\n      value: {yaql: {expression: "$.data.a", data: {a: 1}}}\n';
    assert.deepEqual(validateTemplate(text), []);
    const p = only(validateTemplate(text, { localRuntime: true }), /yaql/);
    assert.deepEqual([p.resource, p.property, p.line], ['v', 'value', 6]);
  });
});
