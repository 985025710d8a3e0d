/** Functions that make strings: joining, substituting, splitting, hashing, URLs. */
import { createHash, getHashes } from 'node:crypto';
import { pythonJson, pythonStr } from '../values.ts';
import { isPlainObject } from '../yaml-source.ts';
import { isCallable, isString, type IntrinsicFunction } from './function-spec.ts';

export const listJoin: IntrinsicFunction = {
  name: 'list_join',
  value: { since: '2013-05-23' },
  check(c) {
    const max = c.template.version >= '2015-10-15' ? Infinity : 2;
    const a = c.listArgs(2, max, 'list_join: [delimiter, [value1, value2, ...]]');
    if (!a) return;
    if (!isString(a[0]) && !isCallable(a[0])) c.bad('list_join: the delimiter must be a string');
    a.slice(1).forEach((l, i) => {
      if (!Array.isArray(l) && !isCallable(l)) c.bad(`list_join: argument ${i + 2} must be a list`);
    });
    a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve(c) {
    const [delimiter, ...lists] = c.args.map((a, i) => c.arg(a, i));
    const sep = c.text(delimiter, 'the delimiter');
    const items = lists.flatMap((l) => c.list(l, 'each argument after the delimiter'));
    return items
      .map((item) => {
        if (item === null || item === undefined) return '';
        if (typeof item === 'string') return item;
        if (Array.isArray(item) || isPlainObject(item)) return pythonJson(item);
        return c.fail(`Items to join must be string, map or list not ${pythonJson(item)}`);
      })
      .join(sep);
  },
};

/** str_replace and its stricter forms: every param must occur (strict), and none be empty (vstrict). */
function strReplace(name: string, since: string): IntrinsicFunction {
  const strict = name !== 'str_replace';
  return {
    name,
    value: { since },
    check(c) {
      const args = c.args;
      if (!isPlainObject(args) || !('template' in args) || !('params' in args) || Object.keys(args).length !== 2) {
        c.bad(`"${name}" syntax should be ${name}: {template: <string>, params: <mapping>}`);
        return;
      }
      if (!isString(args.template) && !isCallable(args.template)) c.bad(`${name}: "template" must be a string`);
      if (!isPlainObject(args.params)) c.bad(`${name}: "params" must be a mapping`);
      else if (strict && isString(args.template) && !isCallable(args.params)) {
        const missing = Object.keys(args.params).filter((k) => !(args.template as string).includes(k));
        if (missing.length) c.bad(`The following params were not found in the template: ${missing.map((k) => `'${k}'`).join(',')}`);
      }
      c.data(args.template, [...c.path, 'template']);
      c.data(args.params, [...c.path, 'params']);
    },
    resolve(c) {
      const spec = c.raw as { template: unknown; params: unknown };
      const template = c.text(c.arg(spec.template, 'template'), '"template"');
      const params = c.arg(spec.params, 'params');
      if (!isPlainObject(params)) return c.fail(`"params" must be a mapping, not ${pythonJson(params)}`);
      const values: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) values[k] = Array.isArray(v) || isPlainObject(v) ? pythonJson(v) : pythonStr(v);
      if (strict) {
        const missing = Object.keys(values).filter((k) => !template.includes(k));
        if (missing.length) c.fail(`The following params were not found in the template: ${missing.map((k) => `'${k}'`).join(',')}`);
      }
      if (name === 'str_replace_vstrict') {
        const empty = Object.keys(values).filter((k) => values[k] === '');
        if (empty.length) c.fail(`The following params had empty values: ${empty.map((k) => `'${k}'`).join(',')}`);
      }
      // Longest placeholder first, and replaced text is never searched again: Heat's algorithm.
      const keys = Object.keys(values).sort().sort((a, b) => b.length - a.length);
      const replace = (s: string, rest: string[]): string =>
        rest.length === 0 ? s : s.split(rest[0]!).map((part) => replace(part, rest.slice(1))).join(values[rest[0]!]);
      return replace(template, keys);
    },
  };
}

export const strReplaceFunctions = [
  strReplace('str_replace', '2013-05-23'),
  strReplace('str_replace_strict', '2017-02-24'),
  strReplace('str_replace_vstrict', '2018-03-02'),
];

export const strSplit: IntrinsicFunction = {
  name: 'str_split',
  value: { since: '2015-10-15' },
  check(c) {
    const a = c.listArgs(2, 3, 'str_split: [delimiter, string, (index)]');
    if (!a) return;
    if (!isString(a[0]) && !isCallable(a[0])) c.bad('str_split: the delimiter must be a string');
    if (a.length === 3 && typeof a[2] !== 'number' && !isCallable(a[2]) && !(isString(a[2]) && /^\d+$/.test(a[2]))) c.bad('str_split: the index must be an integer');
    a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve(c) {
    const delimiter = c.text(c.arg(c.args[0], 0), 'the delimiter');
    const parts = c.text(c.arg(c.args[1], 1), 'the string').split(delimiter);
    if (c.args.length < 3) return parts;
    const index = Number(c.arg(c.args[2], 2));
    if (!Number.isInteger(index) || index < 0 || index >= parts.length) c.fail(`Incorrect index to "str_split" should be between 0 and ${parts.length - 1}`);
    return parts[index];
  },
};

export const digest: IntrinsicFunction = {
  name: 'digest',
  value: { since: '2015-04-30' },
  check(c) {
    const a = c.listArgs(2, 2, 'digest: [algorithm, value]');
    if (!a) return;
    if (isString(a[0]) && !getHashes().includes(a[0].toLowerCase())) c.bad(`digest: Algorithm must be one of md5, sha1, sha224, sha256, sha384, sha512 (found "${a[0]}")`);
    a.forEach((v, i) => c.data(v, [...c.path, i]));
  },
  resolve(c) {
    const algorithm = c.text(c.arg(c.args[0], 0), 'the algorithm').toLowerCase();
    const value = c.text(c.arg(c.args[1], 1), 'the value');
    return createHash(algorithm).update(value, 'utf8').digest('hex');
  },
};

const URL_KEYS = ['scheme', 'username', 'password', 'host', 'port', 'path', 'query', 'fragment'];

export const makeUrl: IntrinsicFunction = {
  name: 'make_url',
  value: { since: '2017-09-01' },
  check(c) {
    if (!isPlainObject(c.args)) {
      c.bad(`Incorrect arguments to "make_url": expected a mapping with ${URL_KEYS.join(', ')}`);
      return;
    }
    const extra = Object.keys(c.args).filter((k) => !URL_KEYS.includes(k));
    if (extra.length) c.bad(`make_url: unknown key(s) ${extra.join(', ')}`);
    c.data(c.args, [...c.path]);
  },
  resolve(c) {
    const args = c.arg(c.raw, 'args') as Record<string, unknown>;
    const part = (k: string) => {
      const v = args[k];
      if (v === undefined || v === null) return '';
      if (typeof v === 'object') return c.fail(`"${k}" must be a string or a number, not ${pythonJson(v)}`);
      return pythonStr(v);
    };
    const scheme = part('scheme');
    let host = part('host');
    if (!host && scheme !== 'file') c.fail('"host" is required');
    if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
    const user = part('username');
    const credentials = user ? `${encodeURIComponent(user)}${args.password ? `:${encodeURIComponent(part('password'))}` : ''}@` : '';
    const port = part('port');
    if (port && !(/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536)) c.fail(`Invalid URL port ${port}`);
    let path = part('path');
    if (path && !path.startsWith('/')) path = `/${path}`;
    const query = isPlainObject(args.query)
      ? Object.entries(args.query)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' && v !== null ? pythonJson(v) : pythonStr(v))}`)
          .join('&')
      : '';
    const fragment = part('fragment');
    return `${scheme ? `${scheme}://` : ''}${credentials}${host}${port ? `:${port}` : ''}${path}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
  },
};
