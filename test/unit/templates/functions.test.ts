import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { prepareStack, type EvaluationContext } from '../../../src/templates/evaluate.ts';
import { TemplateError, formatProblem } from '../../../src/templates/problems.ts';
import { selectPath } from '../../../src/templates/values.ts';

interface Case {
  version?: string;
  parameters?: Record<string, unknown>;
  given?: Record<string, unknown>;
  conditions?: Record<string, unknown>;
  files?: Record<string, string>;
}

const ATTRS: Record<string, unknown> = {
  networks: { private: ['10.0.0.5', 'fd00::5'], public: ['203.0.113.7'] },
  first_address: '10.0.0.5',
  tags: { a: 1 },
};

const ctx: EvaluationContext = {
  stackName: 'stacklab-7',
  stackId: 'id-of-stack-7',
  projectId: 'proj-1',
  resourceId: (name) => `phys-${name}`,
  attribute: (_resource, attribute, path) => selectPath(ATTRS[attribute], path, { missing: null }),
};

/** Evaluates `value` as the property of a resource in a small template. */
function evaluate(value: unknown, c: Case = {}): unknown {
  const template = {
    heat_template_version: c.version ?? '2021-04-16',
    parameters: c.parameters ?? {},
    ...(c.conditions ? { conditions: c.conditions } : {}),
    resources: {
      other: { type: 'OS::Nova::Server', properties: { image: 'x', flavor: 'y' } },
      subject: { type: 'OS::Heat::Value', properties: { value } },
    },
  };
  const stack = prepareStack(stringify(template), { file: 't.yaml', parameters: c.given ?? {}, files: c.files });
  return stack.properties('subject', ctx).value;
}

function refusal(value: unknown, c: Case = {}): string {
  try {
    evaluate(value, c);
  } catch (err) {
    assert.ok(err instanceof TemplateError, String(err));
    return err.problems.map(formatProblem).join('\n');
  }
  assert.fail('expected a refusal');
}

describe('intrinsic functions', () => {
  test('get_param: plain, typed from strings, nested paths into json and lists, pseudo parameters', () => {
    const parameters = {
      name: { type: 'string' },
      count: { type: 'number', default: '3' },
      flag: { type: 'boolean', default: 'yes' },
      cfg: { type: 'json', default: { servers: [{ name: 'a' }, { name: 'b' }] } },
      zones: { type: 'comma_delimited_list', default: 'az1, az2,az3' },
    };
    const given = { name: 'lab' };
    assert.equal(evaluate({ get_param: 'name' }, { parameters, given }), 'lab');
    assert.equal(evaluate({ get_param: 'count' }, { parameters, given }), 3);
    assert.equal(evaluate({ get_param: 'flag' }, { parameters, given }), true);
    assert.deepEqual(evaluate({ get_param: 'zones' }, { parameters, given }), ['az1', 'az2', 'az3']);
    assert.equal(evaluate({ get_param: ['cfg', 'servers', 1, 'name'] }, { parameters, given }), 'b');
    assert.equal(evaluate({ get_param: ['cfg', 'servers', '0', 'name'] }, { parameters, given }), 'a');
    assert.equal(evaluate({ get_param: ['zones', 2] }, { parameters, given }), 'az3');
    assert.equal(evaluate({ get_param: ['cfg', 'nothing'] }, { parameters, given }), '', 'Heat gives an empty string for a missing path');
    assert.equal(evaluate({ get_param: 'OS::stack_name' }), 'stacklab-7');
    assert.equal(evaluate({ get_param: 'OS::stack_id' }), 'id-of-stack-7');
    assert.equal(evaluate({ get_param: 'OS::project_id' }), 'proj-1');
    assert.match(refusal({ get_param: 'nope' }), /resource 'subject', property 'value': The Parameter \(nope\) was not defined/);
    assert.match(refusal({ get_param: ['name', 0] }, { parameters, given }), /parameter "name" is of type string/);
  });

  test('get_resource and get_attr (with a path, and a function as attribute name)', () => {
    assert.equal(evaluate({ get_resource: 'other' }), 'phys-other');
    assert.equal(evaluate({ get_attr: ['other', 'first_address'] }), '10.0.0.5');
    assert.equal(evaluate({ get_attr: ['other', 'networks', 'private', 1] }), 'fd00::5');
    assert.deepEqual(evaluate([{ get_attr: ['other', 'networks', 'nowhere', 0] }]), [null]);
    assert.equal(evaluate({ get_attr: ['other', { str_replace: { template: 'first_X', params: { X: 'address' } } }] }), '10.0.0.5');
    assert.match(refusal({ get_resource: 'ghost' }), /The specified reference "ghost" \(in subject.Properties.value\) is incorrect/);
    assert.match(refusal({ get_attr: ['ghost', 'x'] }), /The specified reference "ghost"/);
    assert.match(refusal({ get_attr: ['other', 'ip'] }), /The Referenced Attribute \(other ip\) is incorrect/);
    assert.match(refusal({ get_attr: 'other' }), /must be of the form \[resource_name, attribute/);
    assert.match(refusal({ get_attr: ['other'] }), /all attributes\) is not supported by the local runtime/);
  });

  test('str_replace, str_replace_strict, str_replace_vstrict', () => {
    assert.equal(evaluate({ str_replace: { template: 'a $x b $xy', params: { $x: 1, $xy: 'two' } } }), 'a 1 b two', 'longest placeholder first');
    assert.equal(evaluate({ str_replace: { template: 'v=$v', params: { $v: { b: 1, a: [true] } } } }), 'v={"a": [true], "b": 1}');
    assert.equal(evaluate({ str_replace: { template: '$a', params: { $a: '$b', $b: 'no' } } }), '$b', 'replaced text is not searched again');
    assert.equal(evaluate({ str_replace: { template: 'x=$t', params: { $t: true } } }), 'x=True');
    assert.match(refusal({ str_replace_strict: { template: 'abc', params: { zz: 1 } } }), /params were not found in the template: 'zz'/);
    assert.match(refusal({ str_replace_vstrict: { template: 'a$x', params: { $x: '' } } }), /had empty values: '\$x'/);
    assert.match(refusal({ str_replace: { template: 'a', parms: {} } }), /"str_replace" syntax should be/);
  });

  test('list_join (several lists, maps as JSON) and str_split', () => {
    assert.equal(evaluate({ list_join: [', ', ['a', 'b'], ['c']] }), 'a, b, c');
    assert.equal(evaluate({ list_join: ['-', [{ get_param: 'OS::stack_name' }, 'net']] }), 'stacklab-7-net');
    assert.equal(evaluate({ list_join: [' ', [{ k: 'v' }, 'x']] }), '{"k": "v"} x');
    assert.match(refusal({ list_join: [',', [1, 2]] }), /Items to join must be string, map or list not 1/);
    assert.match(refusal({ list_join: [','] }), /Incorrect arguments to "list_join"/);
    assert.deepEqual(evaluate({ str_split: [',', 'a,b,c'] }), ['a', 'b', 'c']);
    assert.equal(evaluate({ str_split: [',', 'a,b,c', 1] }), 'b');
    assert.match(refusal({ str_split: [',', 'a,b', 5] }), /should be between 0 and 1/);
  });

  test('conditions and if: equals, not, and, or, contains, condition names and inline conditions', () => {
    const parameters = { env: { type: 'string', default: 'prod' }, zones: { type: 'comma_delimited_list', default: 'a,b' } };
    const conditions = {
      is_prod: { equals: [{ get_param: 'env' }, 'prod'] },
      is_dev: { not: 'is_prod' },
      both: { and: ['is_prod', { contains: ['b', { get_param: 'zones' }] }] },
      either: { or: ['is_dev', false] },
    };
    const c = { parameters, conditions };
    assert.equal(evaluate({ if: ['is_prod', 'big', 'small'] }, c), 'big');
    assert.equal(evaluate({ if: ['is_dev', 'big', 'small'] }, c), 'small');
    assert.equal(evaluate({ if: ['both', 1, 2] }, c), 1);
    assert.equal(evaluate({ if: ['either', 1, 2] }, c), 2);
    assert.equal(evaluate({ if: [{ equals: [{ get_param: 'env' }, 'dev'] }, 1, 2] }, c), 2);
    assert.equal(evaluate({ if: ['is_dev', 'big', 'small'] }, { ...c, given: { env: 'dev' } }), 'big');
    // The branch not taken is not evaluated: a file missing there does not matter at run time.
    assert.equal(evaluate({ if: [true, 'ok', { get_attr: ['other', 'first_address'] }] }, c), 'ok');
    assert.match(refusal({ if: ['no_such', 1, 2] }, c), /Invalid condition "no_such"/);
    assert.match(refusal({ if: ['is_prod', 1] }, c), /Incorrect arguments to "if"/);
    assert.match(refusal(1, { conditions: { bad: { get_resource: 'other' } } }), /condition 'bad': The function "get_resource" is not supported in conditions/);
    assert.match(refusal(1, { conditions: { bad: { and: ['x'] } } }), /Incorrect arguments to "and"/);
  });

  test('repeat (permutations on and off), map_merge, map_replace, list_concat(_unique), filter', () => {
    assert.deepEqual(evaluate({ repeat: { for_each: { '%p%': [22, 80] }, template: { port: '%p%', proto: 'tcp' } } }), [
      { port: '22', proto: 'tcp' },
      { port: '80', proto: 'tcp' },
    ]);
    // (Placeholders like Y would be read as booleans: templates are YAML 1.1, as in Heat.)
    assert.deepEqual(evaluate({ repeat: { for_each: { '%x%': ['a', 'b'], '%y%': ['1', '2'] }, template: '%x%-%y%' } }), ['a-1', 'a-2', 'b-1', 'b-2']);
    assert.deepEqual(evaluate({ repeat: { for_each: { '%x%': ['a', 'b'], '%y%': ['1', '2'] }, template: '%x%-%y%', permutations: false } }), ['a-1', 'b-2']);
    assert.deepEqual(evaluate({ repeat: { for_each: { K: ['x'] }, template: { 'key-K': 'K' } } }), [{ 'key-x': 'x' }]);
    assert.deepEqual(evaluate({ map_merge: [{ a: 1, b: 1 }, { b: 2 }, { c: { get_resource: 'other' } }] }), { a: 1, b: 2, c: 'phys-other' });
    assert.deepEqual(evaluate({ map_replace: [{ k1: 'v1', k2: 'v2' }, { keys: { k1: 'K1' }, values: { v2: 'V2' } }] }), { K1: 'v1', k2: 'V2' });
    assert.deepEqual(evaluate({ list_concat: [['a'], ['b', 'a']] }), ['a', 'b', 'a']);
    assert.deepEqual(evaluate({ list_concat_unique: [['a'], ['b', 'a']] }), ['a', 'b']);
    assert.deepEqual(evaluate({ filter: [[null, 'x'], ['x', 'y', null]] }), ['y']);
    assert.match(refusal({ map_merge: { a: 1 } }), /Incorrect arguments to "map_merge"/);
    assert.match(refusal({ repeat: { template: 'x' } }), /"repeat" syntax should be/);
  });

  test('digest with sha256/md5 (as node:crypto computes them) and unknown algorithms', () => {
    const value = 'stacklab';
    assert.equal(evaluate({ digest: ['sha256', value] }), createHash('sha256').update(value).digest('hex'));
    assert.equal(evaluate({ digest: ['md5', { get_param: 'OS::stack_name' }] }), createHash('md5').update('stacklab-7').digest('hex'));
    // A published test vector, so the comparison above is not only node against itself.
    assert.equal(evaluate({ digest: ['sha256', 'abc'] }), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.match(refusal({ digest: ['rot13', 'x'] }), /Algorithm must be one of/);
  });

  test('get_file from the files map, refused when missing', () => {
    assert.equal(evaluate({ get_file: 'scripts/setup.sh' }, { files: { 'scripts/setup.sh': '#!/bin/sh\necho hi\n' } }), '#!/bin/sh\necho hi\n');
    assert.match(refusal({ get_file: 'scripts/missing.sh' }), /get_file: the file "scripts\/missing.sh" was not provided/);
  });

  test('make_url and contains', () => {
    assert.equal(
      evaluate({ make_url: { scheme: 'http', host: { get_attr: ['other', 'first_address'] }, port: 8080, path: 'signal', query: { a: 'b c' } } }),
      'http://10.0.0.5:8080/signal?a=b%20c',
    );
    assert.equal(evaluate({ make_url: { scheme: 'https', host: 'fd00::1', path: '/' } }), 'https://[fd00::1]/');
    assert.equal(evaluate({ if: [{ contains: ['x', ['x', 'y']] }, 'in', 'out'] }), 'in');
  });

  test('functions of later versions, removed CFN functions and yaql are refused clearly', () => {
    assert.match(refusal({ if: [true, 1, 2] }, { version: '2015-10-15' }), /"if" needs heat_template_version 2016-10-14 or later \(this template is 2015-10-15\)/);
    assert.match(refusal({ map_merge: [{}] }, { version: '2015-04-30' }), /"map_merge" needs heat_template_version 2016-04-08/);
    assert.match(refusal({ 'Fn::Join': [',', ['a']] }, { version: '2015-10-15' }), /"Fn::Join" is not supported in this version of HOT/);
    assert.match(refusal({ yaql: { expression: '$.data', data: 1 } }), /yaql expressions are not supported by the local runtime/);
    // A one-key mapping whose key is no function is plain data, as in Heat.
    assert.deepEqual(evaluate({ equals: [1, 1] }), { equals: [1, 1] });
  });

  test('null properties are left out, as Heat treats them as unset', () => {
    const stack = prepareStack(
      stringify({
        heat_template_version: '2018-08-31',
        parameters: { key: { type: 'string', default: '' } },
        conditions: { has_key: { not: { equals: [{ get_param: 'key' }, ''] } } },
        resources: { s: { type: 'OS::Nova::Server', properties: { image: 'i', key_name: { if: ['has_key', { get_param: 'key' }, null] } } } },
      }),
      { parameters: {} },
    );
    assert.deepEqual(stack.properties('s', ctx), { image: 'i' });
  });
});
