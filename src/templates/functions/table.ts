/** Every intrinsic function stacklab knows, by name: one entry each (see function-spec.ts). */
import { CFN_FUNCTIONS } from './cfn-functions.ts';
import { contains, filter, listConcatFunctions, mapMerge, mapReplace, repeat } from './collection-functions.ts';
import { and, equals, ifFunction, not, or } from './condition-functions.ts';
import type { FunctionMode, IntrinsicFunction } from './function-spec.ts';
import { getAttr, getFile, getParam, getResource, resourceFacade, yaql } from './reference-functions.ts';
import { digest, listJoin, makeUrl, strReplaceFunctions, strSplit } from './string-functions.ts';

const ALL: IntrinsicFunction[] = [
  getParam, getResource, getAttr, getFile, listJoin, ...strReplaceFunctions, resourceFacade, digest, repeat, strSplit,
  mapMerge, ifFunction, mapReplace, yaql, filter, makeUrl, ...listConcatFunctions, contains, equals, not, and, or,
  ...CFN_FUNCTIONS,
];

export const FUNCTIONS: ReadonlyMap<string, IntrinsicFunction> = new Map(ALL.map((f) => [f.name, f]));

/** Every function name: a property path is cut where one starts (`networks[0]`, not `networks[0].get_resource`). */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set(FUNCTIONS.keys());

/** The function `name` as `mode` knows it (its versions there), or undefined when that mode has no such function. */
export function functionIn(name: string, mode: FunctionMode): { fn: IntrinsicFunction; since: string; until?: string } | undefined {
  const fn = FUNCTIONS.get(name);
  const versions = fn?.[mode];
  return fn && versions ? { fn, ...versions } : undefined;
}
