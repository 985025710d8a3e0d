/**
 * Static checks of intrinsic function calls anywhere in a value: argument shapes, references to
 * parameters, resources, attributes, conditions and files. It also collects the resources a value
 * refers to, which is what the dependency graph is built from.
 */
import { getHashes } from 'node:crypto';
import { asCall, type FunctionMode } from './intrinsics.ts';
import type { HotTemplate } from './parse.ts';
import { attributesOf } from './resource-types.ts';
import { NOT_EVALUATED, PSEUDO_PARAMETERS } from './versions.ts';
import { isPlainObject, type PathPart } from './yaml-source.ts';

export interface CheckScope {
  template: HotTemplate;
  files: Record<string, string>;
  /** The effective type of a resource (after the environment's registry), to check get_attr names. */
  resourceType(name: string): string | undefined;
  /** `path` is from the document root, so the caller can find the line and the property. */
  report(path: PathPart[], message: string): void;
  /** Resources referenced by get_resource / get_attr. */
  references: Set<string>;
  /** Also refuse what Heat runs but stacklab's own evaluator does not (yaql, ...). */
  localRuntime: boolean;
  /** How a reference is described in Heat's "(in ...)" messages, e.g. `server1.Properties.flavor`. */
  describe(path: PathPart[]): string;
}

const str = (v: unknown): v is string => typeof v === 'string';
const isCallable = (v: unknown) => isPlainObject(v) && Object.keys(v).length === 1;

/** Checks `value` (found at `path`) as data that may contain function calls. */
export function checkValue(value: unknown, path: PathPart[], scope: CheckScope, mode: FunctionMode = 'value'): void {
  const call = asCall(value, scope.template.version, mode);
  if (call) {
    const argPath = [...path, call.name];
    if (call.kind === 'unavailable') scope.report(argPath, call.message);
    else checkCall(call.name, call.args, argPath, scope, mode);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, [...path, i], scope, mode));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) checkValue(v, [...path, k], scope, mode);
}

/** Checks a condition: a boolean, the name of a declared condition, or a condition function. */
export function checkCondition(value: unknown, path: PathPart[], scope: CheckScope): void {
  if (typeof value === 'boolean') return;
  if (str(value)) {
    if (!(value in scope.template.conditions)) scope.report(path, `Invalid condition "${value}": no condition of that name is declared in the conditions section`);
    return;
  }
  const call = asCall(value, scope.template.version, 'condition');
  if (!call) {
    scope.report(path, `Invalid condition ${JSON.stringify(value)}: expected true, false, a condition name or a condition function (equals, not, and, or${scope.template.version >= '2017-09-01' ? ', contains' : ''})`);
    return;
  }
  checkValue(value, path, scope, 'condition');
}

function checkCall(name: string, args: unknown, path: PathPart[], scope: CheckScope, mode: FunctionMode): void {
  const bad = (message: string) => scope.report(path, message);
  const data = (v: unknown, p: PathPart[]) => checkValue(v, p, scope, mode);
  const listArgs = (min: number, max: number, usage: string): unknown[] | undefined => {
    if (!Array.isArray(args) || args.length < min || args.length > max) {
      bad(`Incorrect arguments to "${name}" should be: ${usage}`);
      return undefined;
    }
    return args;
  };
  if (scope.localRuntime && name in NOT_EVALUATED) bad(NOT_EVALUATED[name]!);
  if (scope.localRuntime && (name.startsWith('Fn::') || name === 'Ref')) {
    bad(`The CloudFormation function "${name}" is not supported by the local runtime; use the HOT functions (get_param, list_join, ...)`);
  }

  switch (name) {
    case 'get_param': {
      const parts = str(args) ? [args] : Array.isArray(args) ? args : undefined;
      if (!parts || parts.length === 0 || !str(parts[0])) {
        bad('Incorrect arguments to "get_param" should be: get_param: name or get_param: [name, key/index, ...]');
        return;
      }
      const param = parts[0];
      const declared = scope.template.parameters[param];
      if (!declared && !PSEUDO_PARAMETERS.includes(param)) {
        bad(`The Parameter (${param}) was not defined in template: get_param refers to an undeclared parameter`);
      } else if (parts.length > 1 && declared && !['json', 'comma_delimited_list'].includes(declared.type)) {
        bad(`get_param: parameter "${param}" is of type ${declared.type} and has no keys or indices to select`);
      }
      parts.slice(1).forEach((p, i) => {
        if (!str(p) && typeof p !== 'number' && !isCallable(p)) bad(`get_param: path item ${i + 1} must be a key or an index`);
        data(p, [...path, i + 1]);
      });
      return;
    }
    case 'get_resource': {
      if (!str(args)) {
        bad('Argument to "get_resource" must be a string (a resource name)');
        return;
      }
      if (!(args in scope.template.resources)) bad(`The specified reference "${args}" (in ${scope.describe(path)}) is incorrect.`);
      else scope.references.add(args);
      return;
    }
    case 'get_attr': {
      const min = scope.template.version >= '2015-10-15' ? 1 : 2;
      if (!Array.isArray(args) || args.length < min || !str(args[0])) {
        bad(`Arguments to "get_attr" must be of the form [resource_name, attribute, (path), ...]`);
        return;
      }
      const [resource, attribute] = args;
      if (!(resource in scope.template.resources)) {
        bad(`The specified reference "${resource}" (in ${scope.describe(path)}) is incorrect.`);
      } else {
        scope.references.add(resource);
        const type = scope.resourceType(resource);
        const known = type ? attributesOf(type) : undefined;
        if (str(attribute) && known && !known.includes(attribute)) {
          bad(`The Referenced Attribute (${resource} ${attribute}) is incorrect. ${type} has: ${known.join(', ')}`);
        }
      }
      if (args.length === 1 && scope.localRuntime) bad('get_attr without an attribute name (all attributes) is not supported by the local runtime');
      if (args.length > 1 && !str(attribute) && !isCallable(attribute)) bad('get_attr: the attribute name must be a string');
      args.slice(1).forEach((a, i) => data(a, [...path, i + 1]));
      return;
    }
    case 'get_file': {
      if (!str(args)) {
        bad('Argument to "get_file" must be a string (a file name)');
        return;
      }
      if (!(args in scope.files)) bad(`get_file: the file "${args}" was not provided with the template`);
      return;
    }
    case 'list_join': {
      const max = scope.template.version >= '2015-10-15' ? Infinity : 2;
      const a = listArgs(2, max, 'list_join: [delimiter, [value1, value2, ...]]');
      if (!a) return;
      if (!str(a[0]) && !isCallable(a[0])) bad('list_join: the delimiter must be a string');
      a.slice(1).forEach((l, i) => {
        if (!Array.isArray(l) && !isCallable(l)) bad(`list_join: argument ${i + 2} must be a list`);
      });
      a.forEach((v, i) => data(v, [...path, i]));
      return;
    }
    case 'str_replace':
    case 'str_replace_strict':
    case 'str_replace_vstrict': {
      if (!isPlainObject(args) || !('template' in args) || !('params' in args) || Object.keys(args).length !== 2) {
        bad(`"${name}" syntax should be ${name}: {template: <string>, params: <mapping>}`);
        return;
      }
      if (!str(args.template) && !isCallable(args.template)) bad(`${name}: "template" must be a string`);
      if (!isPlainObject(args.params)) bad(`${name}: "params" must be a mapping`);
      else if (name !== 'str_replace' && str(args.template) && !isCallable(args.params)) {
        const missing = Object.keys(args.params).filter((k) => !(args.template as string).includes(k));
        if (missing.length) bad(`The following params were not found in the template: ${missing.map((k) => `'${k}'`).join(',')}`);
      }
      data(args.template, [...path, 'template']);
      data(args.params, [...path, 'params']);
      return;
    }
    case 'digest': {
      const a = listArgs(2, 2, 'digest: [algorithm, value]');
      if (!a) return;
      if (str(a[0]) && !getHashes().includes(a[0].toLowerCase())) bad(`digest: Algorithm must be one of md5, sha1, sha224, sha256, sha384, sha512 (found "${a[0]}")`);
      a.forEach((v, i) => data(v, [...path, i]));
      return;
    }
    case 'repeat': {
      if (!isPlainObject(args) || !('for_each' in args) || !('template' in args)) {
        bad('"repeat" syntax should be repeat: {for_each: {<placeholder>: <list>, ...}, template: <value>}');
        return;
      }
      const extra = Object.keys(args).filter((k) => !['for_each', 'template', 'permutations'].includes(k));
      if (extra.length) bad(`repeat: unknown key(s) ${extra.join(', ')}`);
      if (!isPlainObject(args.for_each)) bad('repeat: "for_each" must be a mapping of placeholders to lists');
      else for (const [k, l] of Object.entries(args.for_each)) {
        if (!Array.isArray(l) && !isCallable(l)) bad(`repeat: the values of placeholder "${k}" must be a list`);
      }
      if ('permutations' in args && typeof args.permutations !== 'boolean') bad('repeat: "permutations" must be true or false');
      data(args.for_each, [...path, 'for_each']);
      data(args.template, [...path, 'template']);
      return;
    }
    case 'str_split': {
      const a = listArgs(2, 3, 'str_split: [delimiter, string, (index)]');
      if (!a) return;
      if (!str(a[0]) && !isCallable(a[0])) bad('str_split: the delimiter must be a string');
      if (a.length === 3 && typeof a[2] !== 'number' && !isCallable(a[2]) && !(str(a[2]) && /^\d+$/.test(a[2]))) bad('str_split: the index must be an integer');
      a.forEach((v, i) => data(v, [...path, i]));
      return;
    }
    case 'map_merge':
    case 'list_concat':
    case 'list_concat_unique': {
      const want = name === 'map_merge' ? 'map' : 'list';
      if (!Array.isArray(args)) {
        bad(`Incorrect arguments to "${name}" should be: ${name}: [${want}1, ${want}2, ...]`);
        return;
      }
      args.forEach((v, i) => {
        const ok = want === 'map' ? isPlainObject(v) : Array.isArray(v);
        if (!ok && !isCallable(v)) bad(`${name}: argument ${i + 1} must be a ${want}`);
        data(v, [...path, i]);
      });
      return;
    }
    case 'map_replace': {
      const a = listArgs(2, 2, 'map_replace: [<map>, {keys: <map>, values: <map>}]');
      if (!a) return;
      if (!isPlainObject(a[1]) || Object.keys(a[1]).some((k) => k !== 'keys' && k !== 'values')) bad('map_replace: the second argument must be a mapping with "keys" and/or "values"');
      a.forEach((v, i) => data(v, [...path, i]));
      return;
    }
    case 'if': {
      const a = listArgs(3, 3, 'if: [condition, value_if_true, value_if_false]');
      if (!a) return;
      checkCondition(a[0], [...path, 0], scope);
      data(a[1], [...path, 1]);
      data(a[2], [...path, 2]);
      return;
    }
    case 'filter': {
      const a = listArgs(2, 2, 'filter: [<values to remove>, <list>]');
      if (!a) return;
      a.forEach((v, i) => data(v, [...path, i]));
      return;
    }
    case 'make_url': {
      const keys = ['scheme', 'username', 'password', 'host', 'port', 'path', 'query', 'fragment'];
      if (!isPlainObject(args)) {
        bad(`Incorrect arguments to "make_url": expected a mapping with ${keys.join(', ')}`);
        return;
      }
      const extra = Object.keys(args).filter((k) => !keys.includes(k));
      if (extra.length) bad(`make_url: unknown key(s) ${extra.join(', ')}`);
      data(args, [...path]);
      return;
    }
    case 'contains':
    case 'equals': {
      const a = listArgs(2, 2, `${name}: [value1, value2]`);
      if (a) a.forEach((v, i) => data(v, [...path, i]));
      return;
    }
    case 'not':
      checkCondition(args, path, scope);
      return;
    case 'and':
    case 'or': {
      const a = listArgs(2, Infinity, `${name}: [condition1, condition2, ...]`);
      if (a) a.forEach((v, i) => checkCondition(v, [...path, i], scope));
      return;
    }
    case 'yaql':
      if (!isPlainObject(args) || !str(args.expression)) bad('"yaql" syntax should be yaql: {expression: <string>, data: <value>}');
      return;
    case 'resource_facade':
      if (!['metadata', 'deletion_policy', 'update_policy'].includes(String(args))) bad('resource_facade: the argument must be one of metadata, deletion_policy, update_policy');
      return;
    default:
      // CloudFormation functions of 2013-05-23 templates: checked by Heat; refused above for the local runtime.
      data(args, path);
  }
}
