/** Functions over lists and maps: repeat, merge, replace, concatenate, filter, contains. */
import { deepEqual, pythonJson, pythonStr } from '../values.ts';
import { isPlainObject } from '../yaml-source.ts';
import { isCallable, type IntrinsicFunction } from './function-spec.ts';

export const repeat: IntrinsicFunction = {
  name: 'repeat',
  value: { since: '2015-04-30' },
  check(c) {
    const args = c.args;
    if (!isPlainObject(args) || !('for_each' in args) || !('template' in args)) {
      c.bad('"repeat" syntax should be repeat: {for_each: {<placeholder>: <list>, ...}, template: <value>}');
      return;
    }
    const extra = Object.keys(args).filter((k) => !['for_each', 'template', 'permutations'].includes(k));
    if (extra.length) c.bad(`repeat: unknown key(s) ${extra.join(', ')}`);
    if (!isPlainObject(args.for_each)) c.bad('repeat: "for_each" must be a mapping of placeholders to lists');
    else for (const [k, l] of Object.entries(args.for_each)) {
      if (!Array.isArray(l) && !isCallable(l)) c.bad(`repeat: the values of placeholder "${k}" must be a list`);
    }
    if ('permutations' in args && typeof args.permutations !== 'boolean') c.bad('repeat: "permutations" must be true or false');
    c.data(args.for_each, [...c.path, 'for_each']);
    c.data(args.template, [...c.path, 'template']);
  },
  resolve(c) {
    const spec = c.raw as { for_each: unknown; template: unknown; permutations?: unknown };
    const forEach = c.arg(spec.for_each, 'for_each');
    if (!isPlainObject(forEach)) return c.fail('"for_each" must be a mapping');
    const keys = Object.keys(forEach);
    const lists = keys.map((k) => c.list(forEach[k], `the values of "${k}"`));
    const template = c.arg(spec.template, 'template');
    let combinations: unknown[][];
    if (spec.permutations === false) {
      if (lists.some((l) => l.length !== lists[0]!.length)) c.fail('with "permutations: false" every list must have the same length');
      combinations = (lists[0] ?? []).map((_, i) => lists.map((l) => l[i]));
    } else {
      combinations = lists.reduce<unknown[][]>((acc, l) => acc.flatMap((combo) => l.map((v) => [...combo, v])), [[]]);
    }
    // A list or map substituted into a string is written as JSON, as everywhere else (never "[object Object]").
    return combinations.map((combo) => substitute(template, keys, combo.map((v) => (typeof v === 'object' && v !== null ? pythonJson(v) : pythonStr(v)))));
  },
};

/** repeat's substitution: every placeholder in every string (keys included) of the template. */
function substitute(template: unknown, keys: string[], values: string[]): unknown {
  const inString = (s: string) => keys.reduce((acc, k, i) => acc.split(k).join(values[i]), s);
  if (typeof template === 'string') return inString(template);
  if (Array.isArray(template)) return template.map((t) => substitute(t, keys, values));
  if (isPlainObject(template)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[inString(k)] = substitute(v, keys, values);
    return out;
  }
  return template;
}

/** map_merge, list_concat and list_concat_unique: a list of maps (or of lists). */
function checkListOf(want: 'map' | 'list'): IntrinsicFunction['check'] {
  return (c) => {
    if (!Array.isArray(c.args)) {
      c.bad(`Incorrect arguments to "${c.name}" should be: ${c.name}: [${want}1, ${want}2, ...]`);
      return;
    }
    c.args.forEach((v, i) => {
      const ok = want === 'map' ? isPlainObject(v) : Array.isArray(v);
      if (!ok && !isCallable(v)) c.bad(`${c.name}: argument ${i + 1} must be a ${want}`);
      c.data(v, [...c.path, i]);
    });
  };
}

export const mapMerge: IntrinsicFunction = {
  name: 'map_merge',
  value: { since: '2016-04-08' },
  check: checkListOf('map'),
  resolve(c) {
    const out: Record<string, unknown> = {};
    c.args.forEach((a, i) => {
      const m = c.arg(a, i);
      if (m === null || m === undefined) return;
      if (!isPlainObject(m)) c.fail(`Incorrect arguments: item ${i + 1} must be a map, not ${pythonJson(m)}`);
      Object.assign(out, m);
    });
    return out;
  },
};

function listConcat(name: string, unique: boolean): IntrinsicFunction {
  return {
    name,
    value: { since: '2017-09-01' },
    check: checkListOf('list'),
    resolve(c) {
      const all = c.args.flatMap((a, i) => {
        const l = c.arg(a, i);
        return l === null || l === undefined ? [] : c.list(l, `item ${i + 1}`);
      });
      return unique ? all.filter((v, i) => all.findIndex((w) => deepEqual(v, w)) === i) : all;
    },
  };
}

export const listConcatFunctions = [listConcat('list_concat', false), listConcat('list_concat_unique', true)];

export const mapReplace: IntrinsicFunction = {
  name: 'map_replace',
  value: { since: '2016-10-14' },
  check(c) {
    const a = c.listArgs(2, 2, 'map_replace: [<map>, {keys: <map>, values: <map>}]');
    if (!a) return;
    if (!isPlainObject(a[1]) || Object.keys(a[1]).some((k) => k !== 'keys' && k !== 'values')) c.bad('map_replace: the second argument must be a mapping with "keys" and/or "values"');
    a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve(c) {
    const map = c.arg(c.args[0], 0);
    const spec = c.arg(c.args[1], 1);
    if (!isPlainObject(map)) return c.fail('the first argument must be a map');
    const rk = isPlainObject(spec) && isPlainObject(spec.keys) ? spec.keys : {};
    const rv = isPlainObject(spec) && isPlainObject(spec.values) ? spec.values : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(map)) {
      const key = Object.hasOwn(rk, k) ? String(rk[k]) : k;
      if (Object.hasOwn(out, key)) c.fail(`key replacement ${key} collides with a key in the input map`);
      out[key] = typeof v === 'string' && Object.hasOwn(rv, v) ? rv[v] : v;
    }
    return out;
  },
};

export const filter: IntrinsicFunction = {
  name: 'filter',
  value: { since: '2017-02-24' },
  check(c) {
    const a = c.listArgs(2, 2, 'filter: [<values to remove>, <list>]');
    if (a) a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve(c) {
    const remove = c.list(c.arg(c.args[0], 0) ?? [], 'the values to remove');
    return c.list(c.arg(c.args[1], 1), 'the sequence').filter((v) => !remove.some((r) => deepEqual(r, v)));
  },
};

export const contains: IntrinsicFunction = {
  name: 'contains',
  value: { since: '2017-09-01' },
  condition: { since: '2017-09-01' },
  check(c) {
    const a = c.listArgs(2, 2, 'contains: [value1, value2]');
    if (a) a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve(c) {
    const needle = c.arg(c.args[0], 0);
    const haystack = c.arg(c.args[1], 1);
    if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
    return c.list(haystack, 'the sequence').some((v) => deepEqual(v, needle));
  },
};
