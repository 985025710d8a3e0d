import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConstraints, convertParameterValue, resolveParameters } from '../../../src/templates/parameters.ts';
import { parseTemplate, type HotParameter } from '../../../src/templates/parse.ts';
import { parseEnvironment } from '../../../src/templates/environment.ts';

const p = (type: HotParameter['type'], extra: Partial<HotParameter> = {}): HotParameter => ({ type, constraints: [], ...extra });

describe('parameter values', () => {
  test('strings are converted per type, as Heat does', () => {
    assert.deepEqual(convertParameterValue(p('number'), '42'), { ok: true, value: 42 });
    assert.deepEqual(convertParameterValue(p('number'), '2.5'), { ok: true, value: 2.5 });
    assert.equal(convertParameterValue(p('number'), 'many').ok, false);
    assert.equal(convertParameterValue(p('number'), '').ok, false);
    for (const yes of ['true', 'True', 'yes', 'on', '1', 't', 'y']) assert.deepEqual(convertParameterValue(p('boolean'), yes), { ok: true, value: true }, yes);
    for (const no of ['false', 'NO', 'off', '0', 'f', 'n']) assert.deepEqual(convertParameterValue(p('boolean'), no), { ok: true, value: false }, no);
    assert.match((convertParameterValue(p('boolean'), 'maybe') as { message: string }).message, /Unrecognized value "maybe", acceptable values are: '0', '1'/);
    assert.deepEqual(convertParameterValue(p('comma_delimited_list'), 'a, b,c'), { ok: true, value: ['a', 'b', 'c'] });
    assert.deepEqual(convertParameterValue(p('comma_delimited_list'), ''), { ok: true, value: [] });
    assert.deepEqual(convertParameterValue(p('comma_delimited_list'), ['x', 1]), { ok: true, value: ['x', '1'] });
    assert.deepEqual(convertParameterValue(p('json'), '{"a": [1]}'), { ok: true, value: { a: [1] } });
    assert.equal(convertParameterValue(p('json'), '{bad').ok, false);
    assert.deepEqual(convertParameterValue(p('string'), 8), { ok: true, value: '8' });
    assert.equal(convertParameterValue(p('string'), { a: 1 }).ok, false);
  });

  test('constraints: length, range, modulo, allowed_values, allowed_pattern (whole value), custom ignored, description wins', () => {
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'length', min: 2, max: 4 }] }), 'abc'), undefined);
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'length', min: 2, max: 4 }] }), 'abcde'), 'length (5) is out of range (min: 2, max: 4)');
    assert.equal(checkConstraints(p('comma_delimited_list', { constraints: [{ kind: 'length', max: 1 }] }), ['a', 'b']), 'length (2) is out of range (min: None, max: 1)');
    assert.equal(checkConstraints(p('number', { constraints: [{ kind: 'range', min: 1 }] }), 0), '0 is out of range (min: 1, max: None)');
    assert.equal(checkConstraints(p('number', { constraints: [{ kind: 'modulo', step: 2, offset: 1 }] }), 3), undefined);
    assert.ok(checkConstraints(p('number', { constraints: [{ kind: 'modulo', step: 2, offset: 1 }] }), 4));
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'allowed_values', values: ['a', 'b'] }] }), 'c'), '"c" is not an allowed value [a, b]');
    assert.equal(checkConstraints(p('comma_delimited_list', { constraints: [{ kind: 'allowed_values', values: ['a', 'b'] }] }), ['a', 'b']), undefined);
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'allowed_pattern', pattern: '[a-z]+' }] }), 'abc1'), '"abc1" does not match pattern "[a-z]+"');
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'allowed_pattern', pattern: '[a-z]+|[0-9]' }] }), '5'), undefined);
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'custom_constraint', name: 'nova.flavor' }] }), 'm1.nope'), undefined);
    assert.equal(checkConstraints(p('string', { constraints: [{ kind: 'length', min: 9, description: 'Too short.' }] }), 'x'), 'Too short.');
  });

  test('a hidden parameter never shows its value in a message', () => {
    const secret = p('string', { hidden: true, constraints: [{ kind: 'allowed_pattern', pattern: '[0-9]+' }] });
    const message = checkConstraints(secret, 'hunter2')!;
    assert.ok(message && !message.includes('hunter2'), message);
    assert.ok(!JSON.stringify(convertParameterValue({ ...p('number'), hidden: true }, 'hunter2')).includes('hunter2'));
  });

  test('precedence: given > environment parameters > parameter_defaults > template default', () => {
    const template = parseTemplate(
      'heat_template_version: 2018-08-31\nparameters:\n  a: {type: string, default: t}\n  b: {type: string, default: t}\n  c: {type: string, default: t}\n  d: {type: string, default: t}\n',
    );
    const environment = parseEnvironment('parameters: {a: env, b: env}\nparameter_defaults: {a: def, b: def, c: def}\n');
    const { values, problems } = resolveParameters(template, { given: { a: 'given' }, environment, requireAll: true });
    assert.deepEqual(problems, []);
    assert.deepEqual(values, { a: 'given', b: 'env', c: 'def', d: 't' });
  });
});
