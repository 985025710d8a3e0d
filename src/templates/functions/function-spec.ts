/**
 * One intrinsic function, described once: the HOT versions that have it (in values and in
 * conditions), how its arguments are checked before anything runs (validate), and how it
 * resolves with real values (the local runtime's evaluator). The table is functions/table.ts.
 */
import type { HotTemplate } from '../parse.ts';
import type { PathPart } from '../yaml-source.ts';
import { isPlainObject } from '../yaml-source.ts';

export type FunctionMode = 'value' | 'condition';

/** What a check of one call can see and do. `path` is the call's (function name included). */
export interface CheckCall {
  name: string;
  args: unknown;
  path: PathPart[];
  template: HotTemplate;
  files: Record<string, string>;
  /** Why a file the template names could not be read (outside the lab folder, missing), by that name. */
  unreadableFiles: Record<string, string>;
  /** The effective type of a resource, to check get_attr names. */
  resourceType(name: string): string | undefined;
  /** Records a resource the value refers to (the dependency graph is built from these). */
  reference(resource: string): void;
  localRuntime: boolean;
  /** How a reference is described in Heat's "(in ...)" messages. */
  describe(path: PathPart[]): string;
  /** Reports a problem at the call. */
  bad(message: string): void;
  /** Checks a nested value (in the caller's mode) found at `path`. */
  data(value: unknown, path: PathPart[]): void;
  /** Checks a nested condition found at `path`. */
  condition(value: unknown, path: PathPart[]): void;
  /** The arguments when they are a list of min..max items; otherwise reports `usage` and gives undefined. */
  listArgs(min: number, max: number, usage: string): unknown[] | undefined;
}

/** What the resolution of one call can see and do. */
export interface ResolveCall {
  name: string;
  /** The arguments as written. */
  raw: unknown;
  /** `raw` when it is a list, else []. */
  args: unknown[];
  path: PathPart[];
  version: string;
  parameter(name: string): unknown;
  resourceId(name: string): unknown;
  attribute(resource: string, attribute: string, path: (string | number)[]): unknown;
  file(name: string): string;
  /** Throws an EvaluationFailure at the call: `<name>: <message>`. */
  fail(message: string): never;
  /** Resolves a nested value found under `key` of the call. */
  arg(value: unknown, key: PathPart): unknown;
  condition(value: unknown, path: PathPart[]): boolean;
  list(value: unknown, what: string): unknown[];
  text(value: unknown, what: string): string;
}

export interface IntrinsicFunction {
  name: string;
  /** In property and output values: the version it appeared in and, for CFN ones, the last that has it. */
  value?: { since: string; until?: string };
  /** In the conditions section and `condition:` keys. */
  condition?: { since: string };
  /** Why the local runtime refuses it (Heat runs it); unset when stacklab evaluates it. */
  notEvaluated?: string;
  check(call: CheckCall): void;
  /** Unset for the functions the local runtime does not evaluate. */
  resolve?(call: ResolveCall): unknown;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
/** A value that may be a function call, which only resolution can judge. */
export const isCallable = (v: unknown) => isPlainObject(v) && Object.keys(v).length === 1;
