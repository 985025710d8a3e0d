/** Functions that read something else: parameters, resources and their attributes, files; and the Heat-only ones. */
import { attributesOf } from '../resource-types.ts';
import { own, selectPath } from '../values.ts';
import { PSEUDO_PARAMETERS } from '../versions.ts';
import { isPlainObject } from '../yaml-source.ts';
import { isCallable, isString, type IntrinsicFunction } from './function-spec.ts';

export const getParam: IntrinsicFunction = {
  name: 'get_param',
  value: { since: '2013-05-23' },
  condition: { since: '2016-10-14' },
  check(c) {
    const parts = isString(c.args) ? [c.args] : Array.isArray(c.args) ? c.args : undefined;
    if (!parts || parts.length === 0 || !isString(parts[0])) {
      c.bad('Incorrect arguments to "get_param" should be: get_param: name or get_param: [name, key/index, ...]');
      return;
    }
    const param = parts[0];
    const declared = own(c.template.parameters, param);
    if (!declared && !PSEUDO_PARAMETERS.includes(param)) {
      c.bad(`The Parameter (${param}) was not defined in template: get_param refers to an undeclared parameter`);
    } else if (parts.length > 1 && declared && !['json', 'comma_delimited_list'].includes(declared.type)) {
      c.bad(`get_param: parameter "${param}" is of type ${declared.type} and has no keys or indices to select`);
    }
    parts.slice(1).forEach((p, i) => {
      if (!isString(p) && typeof p !== 'number' && !isCallable(p)) c.bad(`get_param: path item ${i + 1} must be a key or an index`);
      c.data(p, [...c.path, i + 1]);
    });
  },
  resolve(c) {
    const [param, ...keys] = typeof c.raw === 'string' ? [c.raw] : c.args;
    const value = c.parameter(String(param));
    // Heat gives '' when a get_param path does not exist.
    return keys.length === 0 ? value : selectPath(value, keys.map((k, i) => c.arg(k, i + 1) as string | number), { missing: '' });
  },
};

export const getResource: IntrinsicFunction = {
  name: 'get_resource',
  value: { since: '2013-05-23' },
  check(c) {
    if (!isString(c.args)) {
      c.bad('Argument to "get_resource" must be a string (a resource name)');
      return;
    }
    if (!Object.hasOwn(c.template.resources, c.args)) c.bad(`The specified reference "${c.args}" (in ${c.describe(c.path)}) is incorrect.`);
    else c.reference(c.args);
  },
  resolve: (c) => c.resourceId(String(c.raw)),
};

export const getAttr: IntrinsicFunction = {
  name: 'get_attr',
  value: { since: '2013-05-23' },
  check(c) {
    const args = c.args;
    const min = c.template.version >= '2015-10-15' ? 1 : 2;
    if (!Array.isArray(args) || args.length < min || !isString(args[0])) {
      c.bad(`Arguments to "get_attr" must be of the form [resource_name, attribute, (path), ...]`);
      return;
    }
    const [resource, attribute] = args;
    if (!Object.hasOwn(c.template.resources, resource)) {
      c.bad(`The specified reference "${resource}" (in ${c.describe(c.path)}) is incorrect.`);
    } else {
      c.reference(resource);
      const type = c.resourceType(resource);
      const known = type ? attributesOf(type) : undefined;
      if (isString(attribute) && known && !known.includes(attribute)) {
        c.bad(`The Referenced Attribute (${resource} ${attribute}) is incorrect. ${type} has: ${known.join(', ')}`);
      }
    }
    if (args.length === 1 && c.localRuntime) c.bad('get_attr without an attribute name (all attributes) is not supported by the local runtime');
    if (args.length > 1 && !isString(attribute) && !isCallable(attribute)) c.bad('get_attr: the attribute name must be a string');
    args.slice(1).forEach((a, i) => c.data(a, [...c.path, i + 1]));
  },
  resolve(c) {
    const [resource, attribute, ...rest] = c.args.map((a, i) => (i === 0 ? a : c.arg(a, i)));
    return c.attribute(String(resource), c.text(attribute, 'the attribute name'), rest as (string | number)[]);
  },
};

export const getFile: IntrinsicFunction = {
  name: 'get_file',
  value: { since: '2013-05-23' },
  check(c) {
    if (!isString(c.args)) {
      c.bad('Argument to "get_file" must be a string (a file name)');
      return;
    }
    if (Object.hasOwn(c.files, c.args)) return;
    c.bad(`get_file: ${Object.hasOwn(c.unreadableFiles, c.args) ? c.unreadableFiles[c.args] : `the file "${c.args}" was not provided with the template`}`);
  },
  resolve: (c) => c.file(String(c.raw)),
};

export const resourceFacade: IntrinsicFunction = {
  name: 'resource_facade',
  value: { since: '2013-05-23' },
  notEvaluated: 'resource_facade only works in nested stacks, which the local runtime does not run',
  check(c) {
    if (!['metadata', 'deletion_policy', 'update_policy'].includes(String(c.args))) c.bad('resource_facade: the argument must be one of metadata, deletion_policy, update_policy');
  },
};

export const yaql: IntrinsicFunction = {
  name: 'yaql',
  value: { since: '2016-10-14' },
  condition: { since: '2017-09-01' },
  notEvaluated: 'yaql expressions are not supported by the local runtime; use the other intrinsic functions',
  check(c) {
    if (!isPlainObject(c.args) || !isString(c.args.expression)) c.bad('"yaql" syntax should be yaql: {expression: <string>, data: <value>}');
  },
};
