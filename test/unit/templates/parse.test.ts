import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate } from '../../../src/templates/parse.ts';
import { formatProblem, TemplateError, type TemplateProblem } from '../../../src/templates/problems.ts';
import { parseEnvironment, resolveResourceType } from '../../../src/templates/environment.ts';

function problemsOf(fn: () => unknown): TemplateProblem[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a TemplateError');
}

describe('parseTemplate', () => {
  test('accepts every dated version and release name Heat knows, and maps names to dates', () => {
    for (const v of ['2013-05-23', '2015-10-15', '2016-10-14', '2018-08-31', '2021-04-16']) {
      assert.equal(parseTemplate(`heat_template_version: ${v}\n`).version, v);
    }
    assert.equal(parseTemplate('heat_template_version: newton\n').version, '2016-10-14');
    assert.equal(parseTemplate('heat_template_version: wallaby\n').version, '2021-04-16');
    assert.equal(parseTemplate('heat_template_version: queens\n').heatTemplateVersion, 'queens');
  });

  test('refuses an unknown or missing version and a document that is not a mapping', () => {
    const [bad] = problemsOf(() => parseTemplate('heat_template_version: 2019-01-01\n', 't.yaml'));
    assert.match(bad!.message, /The template version is invalid: "heat_template_version: 2019-01-01"/);
    assert.equal(bad!.line, 1);
    assert.match(problemsOf(() => parseTemplate('description: x\n'))[0]!.message, /heat_template_version/);
    assert.match(problemsOf(() => parseTemplate('- a\n- b\n'))[0]!.message, /not a mapping \(found a list\)/);
    assert.match(problemsOf(() => parseTemplate('stein'))[0]!.message, /not a mapping/);
  });

  test('reports YAML syntax errors with their line', () => {
    const [p] = problemsOf(() => parseTemplate('heat_template_version: 2018-08-31\nresources:\n  a: {type: x\n  b: 1\n', 'y.yaml'));
    assert.equal(p!.file, 'y.yaml');
    assert.ok(p!.line! >= 3, `line ${p!.line}`);
    assert.match(p!.message, /^invalid YAML/);
  });

  test('refuses unknown sections, conditions before 2016-10-14, resources without type, non-mapping properties, bad keywords', () => {
    const text = [
      'heat_template_version: 2015-04-30', // 1
      'conditions: {}', // 2
      'resources:', // 3
      '  a:', // 4
      '    properties: {x: 1}', // 5
      '  b:', // 6
      '    type: OS::Heat::Value', // 7
      '    properties: [1, 2]', // 8
      '  c:', // 9
      '    type: OS::Heat::Value', // 10
      '    dependson: a', // 11
      '    deletion_policy: Keep', // 12
      'outputs:', // 13
      '  o: {description: no value}', // 14
    ].join('\n');
    const problems = problemsOf(() => parseTemplate(text, 't.yaml'));
    const find = (re: RegExp) => {
      const p = problems.find((q) => re.test(q.message));
      assert.ok(p, `no problem matching ${re}: ${problems.map(formatProblem).join('; ')}`);
      return p;
    };
    assert.equal(find(/section is invalid: conditions/).line, 2);
    const noType = find(/missing "type"/);
    assert.deepEqual([noType.resource, noType.line], ['a', 4]);
    const props = find(/"properties" must be a mapping/);
    assert.deepEqual([props.resource, props.property, props.line], ['b', 'properties', 8]);
    const keyword = find(/"dependson" is not a valid keyword inside a resource definition/);
    assert.deepEqual([keyword.resource, keyword.line], ['c', 11]);
    assert.equal(find(/Invalid deletion policy "Keep"/).line, 12);
    assert.equal(find(/Each output must contain a value key/).output, 'o');
  });

  test('reads resources, depends_on, parameters with constraints, outputs and line numbers', () => {
    const t = parseTemplate(
      [
        'heat_template_version: 2018-08-31',
        'description: demo',
        'parameters:',
        '  size:',
        '    type: number',
        '    default: 2',
        '    hidden: true',
        '    constraints:',
        '      - range: {min: 1, max: 4}',
        '        description: between 1 and 4',
        '      - custom_constraint: nova.flavor',
        'resources:',
        '  one:',
        '    type: OS::Heat::Value',
        '    depends_on: two',
        '    properties: {value: 1}',
        '  two:',
        '    type: OS::Heat::Value',
        '    deletion_policy: Retain',
        'outputs:',
        '  out: {value: {get_attr: [one, value]}, description: d}',
      ].join('\n'),
      'demo.yaml',
    );
    assert.equal(t.description, 'demo');
    assert.deepEqual(t.parameters.size, {
      type: 'number',
      default: 2,
      hidden: true,
      constraints: [
        { kind: 'range', min: 1, max: 4, description: 'between 1 and 4' },
        { kind: 'custom_constraint', name: 'nova.flavor' },
      ],
    });
    assert.deepEqual(t.resources.one!.dependsOn, ['two']);
    assert.deepEqual(t.resources.two!.properties, {});
    assert.equal(t.resources.two!.deletionPolicy, 'Retain');
    assert.equal(t.lines.resource('one'), 13);
    assert.equal(t.lines.resource('two'), 17);
    assert.equal(t.lines.property('one', ['value']), 16);
    assert.equal(t.lines.parameter('size'), 4);
    assert.equal(t.lines.output('out'), 21);
    assert.equal(t.lines.resource('missing'), undefined);
    assert.deepEqual(t.outputs.out, { value: { get_attr: ['one', 'value'] }, description: 'd' });
  });

  test('refuses malformed parameter declarations', () => {
    const problems = problemsOf(() =>
      parseTemplate(
        [
          'heat_template_version: 2018-08-31',
          'parameters:',
          '  a: {description: no type}',
          '  b: {type: integer}',
          '  c: {type: string, defualt: x}',
          '  d: {type: string, constraints: [{range: {min: 1}}]}',
          '  e: {type: string, constraints: [{allowed_pattern: "("}]}',
        ].join('\n'),
      ),
    );
    const messages = problems.map((p) => `${p.parameter}@${p.line}: ${p.message}`);
    assert.ok(messages.includes('a@3: Missing parameter type for parameter: a'), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('b@4: Invalid type (integer)')), messages.join('\n'));
    assert.ok(messages.includes("c@5: Invalid key 'defualt' for parameter (c)"), messages.join('\n'));
    assert.ok(messages.includes('d@6: Invalid range constraint for parameter type string'), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('e@7: Invalid allowed_pattern constraint')), messages.join('\n'));
  });

  test('formatProblem names file, line, resource and property', () => {
    assert.equal(
      formatProblem({ file: 'template.yaml', line: 12, resource: 'server1', property: 'flavor', message: 'must be a string' }),
      "template.yaml:12: resource 'server1', property 'flavor': must be a string",
    );
    assert.equal(formatProblem({ message: 'plain' }), 'plain');
    assert.equal(formatProblem({ file: 'env.yaml', output: 'public_ip', message: 'm' }), "env.yaml: output 'public_ip': m");
  });
});

describe('parseEnvironment', () => {
  test('reads parameters, parameter_defaults and the resource registry with wildcards and per-resource entries', () => {
    const env = parseEnvironment(
      [
        'parameters: {flavor: m1.large}',
        'parameter_defaults: {image: debian-12}',
        'resource_registry:',
        '  "Lab::Server": "OS::Nova::Server"',
        '  "Lab::Net::*": "OS::Neutron::*"',
        '  resources:',
        '    special: {"Lab::Server": "OS::Heat::None"}',
      ].join('\n'),
    );
    assert.deepEqual(env.parameters, { flavor: 'm1.large' });
    assert.deepEqual(env.parameterDefaults, { image: 'debian-12' });
    assert.equal(resolveResourceType(env, 'any', 'Lab::Server'), 'OS::Nova::Server');
    assert.equal(resolveResourceType(env, 'special', 'Lab::Server'), 'OS::Heat::None');
    assert.equal(resolveResourceType(env, 'any', 'Lab::Net::Subnet'), 'OS::Neutron::Subnet');
    assert.equal(resolveResourceType(env, 'any', 'OS::Nova::Server'), 'OS::Nova::Server');
  });

  test('refuses unknown sections and non-mapping documents, with lines', () => {
    const [p] = problemsOf(() => parseEnvironment('parameters: {}\nparamters: {a: 1}\n', 'env.yaml'));
    assert.deepEqual([p!.file, p!.line], ['env.yaml', 2]);
    assert.match(p!.message, /environment has wrong section "paramters"/);
    assert.match(problemsOf(() => parseEnvironment('[1]'))[0]!.message, /not a mapping/);
    assert.match(problemsOf(() => parseEnvironment('resource_registry: {"A::*": "B::C"}'))[0]!.message, /wildcard/);
  });
});
