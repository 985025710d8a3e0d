/**
 * Recognising intrinsic function calls. Heat treats a one-key mapping as a call only when the key is
 * a function of the template's version; anything else is plain data. We do the same, but a call to
 * a function of another version is reported (Heat would silently pass the mapping on as data and
 * fail later with a less helpful message).
 */
import type { FunctionMode, IntrinsicFunction } from './functions/function-spec.ts';
import { FUNCTIONS, functionIn } from './functions/table.ts';
import { isPlainObject } from './yaml-source.ts';

export type { FunctionMode } from './functions/function-spec.ts';

export type Call =
  | { kind: 'call'; name: string; args: unknown; fn: IntrinsicFunction }
  | { kind: 'unavailable'; name: string; args: unknown; message: string };

export function asCall(value: unknown, version: string, mode: FunctionMode): Call | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0]!;
  const args = value[name];
  const spec = functionIn(name, mode);
  if (!spec) {
    if (mode === 'condition' && FUNCTIONS.get(name)?.value) {
      return { kind: 'unavailable', name, args, message: `The function "${name}" is not supported in conditions.` };
    }
    return undefined;
  }
  if (version < spec.since) {
    return { kind: 'unavailable', name, args, message: `The function "${name}" needs heat_template_version ${spec.since} or later (this template is ${version}).` };
  }
  if (spec.until !== undefined && version > spec.until) {
    return { kind: 'unavailable', name, args, message: `The function "${name}" is not supported in this version of HOT (${version}).` };
  }
  return { kind: 'call', name, args, fn: spec.fn };
}
