/**
 * Small value helpers with Heat's semantics: equality of JSON-like values, Python's `json.dumps`
 * with sorted keys (what Heat produces when it joins or substitutes a map or a list into a string),
 * `str()` of scalars, and selecting a path of keys/indices.
 */
import { isPlainObject } from './yaml-source.ts';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** `json.dumps(value, sort_keys=True)` as Python writes it (", " and ": " separators). */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${pythonJson(value[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** Python's `str()` of a scalar, which is what Heat substitutes: `True`, `False`, `None` -> ''. */
export function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

/**
 * Follows keys (maps) and indices (lists) into a value, as get_param and get_attr paths do. A
 * context's `attribute()` can use it to apply the path it receives:
 * `selectPath(attributes[name], path, { missing: null })` (Heat gives null for a missing key).
 * Without `missing` it throws on a missing key or index.
 */
export function selectPath(value: unknown, path: readonly (string | number)[], opts?: { missing: unknown }): unknown {
  if (opts) {
    try {
      return selectPath(value, path);
    } catch {
      return opts.missing;
    }
  }
  let current = value;
  for (const key of path) {
    if (Array.isArray(current)) {
      const index = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : NaN;
      if (!Number.isInteger(index) || index < 0 || index >= current.length) {
        throw new Error(`index ${JSON.stringify(key)} is out of range for a list of ${current.length}`);
      }
      current = current[index];
    } else if (isPlainObject(current)) {
      const k = String(key);
      if (!(k in current)) throw new Error(`key ${JSON.stringify(k)} not found (keys: ${Object.keys(current).join(', ') || 'none'})`);
      current = current[k];
    } else {
      throw new Error(`cannot select ${JSON.stringify(key)} from a ${current === null ? 'null' : typeof current} value`);
    }
  }
  return current;
}

/** A value as a message quotes it: a string as it is, anything else as JSON (never `[object Object]`). */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * `record[key]` for a key that comes from a template: only the record's own entries, never what
 * every object inherits (`constructor`, `toString`), which `in` and `[]` would find.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
