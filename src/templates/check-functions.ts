/**
 * Static checks of intrinsic function calls anywhere in a value: argument shapes, references to
 * parameters, resources, attributes, conditions and files (each function's own check is in its
 * entry of functions/table.ts). It also collects the resources a value refers to, which is what
 * the dependency graph is built from.
 */
import type { CheckCall, FunctionMode, IntrinsicFunction } from './functions/function-spec.ts';
import { asCall } from './intrinsics.ts';
import type { HotTemplate } from './parse.ts';
import { isPlainObject, type PathPart } from './yaml-source.ts';

export interface CheckScope {
  template: HotTemplate;
  files: Record<string, string>;
  unreadableFiles: Record<string, string>;
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

/** Checks `value` (found at `path`) as data that may contain function calls. */
export function checkValue(value: unknown, path: PathPart[], scope: CheckScope, mode: FunctionMode = 'value'): void {
  const call = asCall(value, scope.template.version, mode);
  if (call) {
    const argPath = [...path, call.name];
    if (call.kind === 'unavailable') scope.report(argPath, call.message);
    else checkCall(call.fn, call.args, argPath, scope, mode);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, [...path, i], scope, mode));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) checkValue(v, [...path, k], scope, mode);
}

/** Checks a condition: a boolean, the name of a declared condition, or a condition function. */
export function checkCondition(value: unknown, path: PathPart[], scope: CheckScope): void {
  if (typeof value === 'boolean') return;
  if (typeof value === 'string') {
    if (!Object.hasOwn(scope.template.conditions, value)) scope.report(path, `Invalid condition "${value}": no condition of that name is declared in the conditions section`);
    return;
  }
  const call = asCall(value, scope.template.version, 'condition');
  if (!call) {
    scope.report(path, `Invalid condition ${JSON.stringify(value)}: expected true, false, a condition name or a condition function (equals, not, and, or${scope.template.version >= '2017-09-01' ? ', contains' : ''})`);
    return;
  }
  checkValue(value, path, scope, 'condition');
}

function checkCall(fn: IntrinsicFunction, args: unknown, path: PathPart[], scope: CheckScope, mode: FunctionMode): void {
  const bad = (message: string) => scope.report(path, message);
  if (scope.localRuntime && fn.notEvaluated) bad(fn.notEvaluated);
  const call: CheckCall = {
    name: fn.name,
    args,
    path,
    template: scope.template,
    files: scope.files,
    unreadableFiles: scope.unreadableFiles,
    resourceType: scope.resourceType,
    reference: (resource) => scope.references.add(resource),
    localRuntime: scope.localRuntime,
    describe: scope.describe,
    bad,
    data: (v, p) => checkValue(v, p, scope, mode),
    condition: (v, p) => checkCondition(v, p, scope),
    listArgs: (min, max, usage) => {
      if (!Array.isArray(args) || args.length < min || args.length > max) {
        bad(`Incorrect arguments to "${fn.name}" should be: ${usage}`);
        return undefined;
      }
      return args;
    },
  };
  fn.check(call);
}
