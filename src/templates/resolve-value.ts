/**
 * Evaluates intrinsic functions in a value, with Heat's semantics, for a runtime that creates
 * resources one at a time (the local runtime). Arguments were checked by check-functions.ts before;
 * what can only fail with real values (a non-string to join, a missing key) throws an
 * EvaluationFailure carrying the path where it happened.
 */
import { createHash } from 'node:crypto';
import { asCall, type FunctionMode } from './intrinsics.ts';
import { deepEqual, pythonJson, pythonStr, selectPath } from './values.ts';
import { isPlainObject, type PathPart } from './yaml-source.ts';

export interface ResolveScope {
  version: string;
  /** A declared or pseudo parameter's value. */
  parameter(name: string): unknown;
  /** get_resource; null for a resource its condition disabled. */
  resourceId(name: string): unknown;
  /** get_attr, path applied; null for a resource its condition disabled. */
  attribute(resource: string, attribute: string, path: (string | number)[]): unknown;
  condition(name: string): boolean;
  file(name: string): string;
}

export class EvaluationFailure extends Error {
  constructor(
    message: string,
    /** Relative to the value given to resolveValue. */
    readonly path: PathPart[],
  ) {
    super(message);
    this.name = 'EvaluationFailure';
  }
}

export function resolveValue(value: unknown, scope: ResolveScope, path: PathPart[] = [], mode: FunctionMode = 'value'): unknown {
  const call = asCall(value, scope.version, mode);
  if (call) {
    const at = [...path, call.name];
    if (call.kind === 'unavailable') throw new EvaluationFailure(call.message, at);
    return evaluateCall(call.name, call.args, scope, at, mode);
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, scope, [...path, i], mode));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, scope, [...path, k], mode);
    return out;
  }
  return value;
}

export function resolveCondition(value: unknown, scope: ResolveScope, path: PathPart[] = []): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return scope.condition(value);
  const result = resolveValue(value, scope, path, 'condition');
  if (typeof result !== 'boolean') throw new EvaluationFailure(`The condition must evaluate to true or false, not ${JSON.stringify(result)}`, path);
  return result;
}

function evaluateCall(name: string, raw: unknown, scope: ResolveScope, path: PathPart[], mode: FunctionMode): unknown {
  const fail = (message: string): never => {
    throw new EvaluationFailure(`${name}: ${message}`, path);
  };
  const arg = (v: unknown, i: PathPart) => resolveValue(v, scope, [...path, i], mode);
  const list = (v: unknown, what: string): unknown[] => (Array.isArray(v) ? v : fail(`${what} must be a list, not ${pythonJson(v)}`));
  const text = (v: unknown, what: string): string => (typeof v === 'string' ? v : fail(`${what} must be a string, not ${pythonJson(v)}`));
  const args = Array.isArray(raw) ? raw : [];

  switch (name) {
    case 'get_param': {
      const [param, ...keys] = typeof raw === 'string' ? [raw] : args;
      const value = scope.parameter(String(param));
      // Heat gives '' when a get_param path does not exist.
      return keys.length === 0 ? value : selectPath(value, keys.map((k, i) => arg(k, i + 1) as string | number), { missing: '' });
    }
    case 'get_resource':
      return scope.resourceId(String(raw));
    case 'get_attr': {
      const [resource, attribute, ...rest] = args.map((a, i) => (i === 0 ? a : arg(a, i)));
      return scope.attribute(String(resource), text(attribute, 'the attribute name'), rest as (string | number)[]);
    }
    case 'get_file':
      return scope.file(String(raw));
    case 'list_join': {
      const [delimiter, ...lists] = args.map((a, i) => arg(a, i));
      const sep = text(delimiter, 'the delimiter');
      const items = lists.flatMap((l) => list(l, 'each argument after the delimiter'));
      return items
        .map((item) => {
          if (item === null || item === undefined) return '';
          if (typeof item === 'string') return item;
          if (Array.isArray(item) || isPlainObject(item)) return pythonJson(item);
          return fail(`Items to join must be string, map or list not ${pythonJson(item)}`);
        })
        .join(sep);
    }
    case 'str_replace':
    case 'str_replace_strict':
    case 'str_replace_vstrict': {
      const spec = raw as { template: unknown; params: unknown };
      const template = text(arg(spec.template, 'template'), '"template"');
      const params = arg(spec.params, 'params');
      if (!isPlainObject(params)) return fail(`"params" must be a mapping, not ${pythonJson(params)}`);
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) {
        values[k] = Array.isArray(v) || isPlainObject(v) ? pythonJson(v) : pythonStr(v);
      }
      if (name !== 'str_replace') {
        const missing = Object.keys(values).filter((k) => !template.includes(k));
        if (missing.length) fail(`The following params were not found in the template: ${missing.map((k) => `'${k}'`).join(',')}`);
      }
      if (name === 'str_replace_vstrict') {
        const empty = Object.keys(values).filter((k) => values[k] === '');
        if (empty.length) fail(`The following params had empty values: ${empty.map((k) => `'${k}'`).join(',')}`);
      }
      // Longest placeholder first, and replaced text is never searched again: Heat's algorithm.
      const keys = Object.keys(values).sort().sort((a, b) => b.length - a.length);
      const replace = (s: string, rest: string[]): string =>
        rest.length === 0 ? s : s.split(rest[0]!).map((part) => replace(part, rest.slice(1))).join(values[rest[0]!]);
      return replace(template, keys);
    }
    case 'digest': {
      const algorithm = text(arg(args[0], 0), 'the algorithm').toLowerCase();
      const value = text(arg(args[1], 1), 'the value');
      return createHash(algorithm).update(value, 'utf8').digest('hex');
    }
    case 'repeat': {
      const spec = raw as { for_each: unknown; template: unknown; permutations?: unknown };
      const forEach = arg(spec.for_each, 'for_each');
      if (!isPlainObject(forEach)) return fail('"for_each" must be a mapping');
      const keys = Object.keys(forEach);
      const lists = keys.map((k) => list(forEach[k], `the values of "${k}"`));
      const template = arg(spec.template, 'template');
      let combinations: unknown[][];
      if (spec.permutations === false) {
        if (lists.some((l) => l.length !== lists[0]!.length)) fail('with "permutations: false" every list must have the same length');
        combinations = (lists[0] ?? []).map((_, i) => lists.map((l) => l[i]));
      } else {
        combinations = lists.reduce<unknown[][]>((acc, l) => acc.flatMap((c) => l.map((v) => [...c, v])), [[]]);
      }
      return combinations.map((combo) => substitute(template, keys, combo.map(pythonStr)));
    }
    case 'str_split': {
      const delimiter = text(arg(args[0], 0), 'the delimiter');
      const parts = text(arg(args[1], 1), 'the string').split(delimiter);
      if (args.length < 3) return parts;
      const index = Number(arg(args[2], 2));
      if (!Number.isInteger(index) || index < 0 || index >= parts.length) fail(`Incorrect index to "str_split" should be between 0 and ${parts.length - 1}`);
      return parts[index];
    }
    case 'map_merge': {
      const out: Record<string, unknown> = {};
      args.forEach((a, i) => {
        const m = arg(a, i);
        if (m === null || m === undefined) return;
        if (!isPlainObject(m)) fail(`Incorrect arguments: item ${i + 1} must be a map, not ${pythonJson(m)}`);
        Object.assign(out, m);
      });
      return out;
    }
    case 'map_replace': {
      const map = arg(args[0], 0);
      const spec = arg(args[1], 1);
      if (!isPlainObject(map)) return fail('the first argument must be a map');
      const rk = isPlainObject(spec) && isPlainObject(spec.keys) ? spec.keys : {};
      const rv = isPlainObject(spec) && isPlainObject(spec.values) ? spec.values : {};
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(map)) {
        const key = k in rk ? String(rk[k]) : k;
        if (key in out) fail(`key replacement ${key} collides with a key in the input map`);
        out[key] = typeof v === 'string' && v in rv ? rv[v] : v;
      }
      return out;
    }
    case 'if': {
      const chosen = resolveCondition(args[0], scope, [...path, 0]) ? 1 : 2;
      return arg(args[chosen], chosen);
    }
    case 'filter': {
      const remove = list(arg(args[0], 0) ?? [], 'the values to remove');
      return list(arg(args[1], 1), 'the sequence').filter((v) => !remove.some((r) => deepEqual(r, v)));
    }
    case 'make_url':
      return makeUrl(arg(raw, 'args') as Record<string, unknown>, fail);
    case 'list_concat':
    case 'list_concat_unique': {
      const all = args.flatMap((a, i) => {
        const l = arg(a, i);
        return l === null || l === undefined ? [] : list(l, `item ${i + 1}`);
      });
      return name === 'list_concat' ? all : all.filter((v, i) => all.findIndex((w) => deepEqual(v, w)) === i);
    }
    case 'contains': {
      const needle = arg(args[0], 0);
      const haystack = arg(args[1], 1);
      if (typeof haystack === 'string') return typeof needle === 'string' && haystack.includes(needle);
      return list(haystack, 'the sequence').some((v) => deepEqual(v, needle));
    }
    case 'equals':
      return deepEqual(arg(args[0], 0), arg(args[1], 1));
    case 'not':
      return !resolveCondition(raw, scope, path);
    case 'and':
      return args.every((c, i) => resolveCondition(c, scope, [...path, i]));
    case 'or':
      return args.some((c, i) => resolveCondition(c, scope, [...path, i]));
    default:
      return fail('is not supported by the local runtime');
  }
}

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

function makeUrl(args: Record<string, unknown>, fail: (m: string) => never): string {
  const part = (k: string) => (args[k] === undefined || args[k] === null ? '' : pythonStr(args[k]));
  const scheme = part('scheme');
  let host = part('host');
  if (!host && scheme !== 'file') fail('"host" is required');
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const user = part('username');
  const credentials = user ? `${encodeURIComponent(user)}${args.password ? `:${encodeURIComponent(part('password'))}` : ''}@` : '';
  const port = part('port');
  if (port && !(/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536)) fail(`Invalid URL port ${port}`);
  let path = part('path');
  if (path && !path.startsWith('/')) path = `/${path}`;
  const query = isPlainObject(args.query)
    ? Object.entries(args.query)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(pythonStr(v))}`)
        .join('&')
    : '';
  const fragment = part('fragment');
  return `${scheme ? `${scheme}://` : ''}${credentials}${host}${port ? `:${port}` : ''}${path}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
}
