/**
 * Evaluates intrinsic functions in a value, with Heat's semantics, for a runtime that creates
 * resources one at a time (the local runtime); each function's resolution is in its entry of
 * functions/table.ts. Arguments were checked by check-functions.ts before; what can only fail with
 * real values (a non-string to join, a missing key) throws an EvaluationFailure carrying the path
 * where it happened.
 */
import type { FunctionMode, IntrinsicFunction, ResolveCall } from './functions/function-spec.ts';
import { asCall } from './intrinsics.ts';
import { pythonJson } from './values.ts';
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
    return evaluateCall(call.fn, call.args, scope, at, mode);
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

function evaluateCall(fn: IntrinsicFunction, raw: unknown, scope: ResolveScope, path: PathPart[], mode: FunctionMode): unknown {
  const fail = (message: string): never => {
    throw new EvaluationFailure(`${fn.name}: ${message}`, path);
  };
  if (!fn.resolve) return fail('is not supported by the local runtime');
  const call: ResolveCall = {
    name: fn.name,
    raw,
    args: Array.isArray(raw) ? raw : [],
    path,
    version: scope.version,
    parameter: scope.parameter,
    resourceId: scope.resourceId,
    attribute: scope.attribute,
    file: scope.file,
    fail,
    arg: (v, key) => resolveValue(v, scope, [...path, key], mode),
    condition: (v, p) => resolveCondition(v, scope, p),
    list: (v, what) => (Array.isArray(v) ? v : fail(`${what} must be a list, not ${pythonJson(v)}`)),
    text: (v, what) => (typeof v === 'string' ? v : fail(`${what} must be a string, not ${pythonJson(v)}`)),
  };
  return fn.resolve(call);
}
