/**
 * Resource properties checked against each type's schema as Heat does: unknown names (with a "did
 * you mean"), required ones, value types, allowed values, ranges, lengths and patterns, down into
 * nested lists and maps. The schemas are Heat's own (heat-resource-schemas.json, generated from
 * Heat's plugins by scripts/heat-resource-schemas.py); custom constraints (does this flavor exist?)
 * need the cloud and are left to Heat. Values made by a function call are not known here and are
 * not checked; the messages are Heat's wording.
 *
 * Heat's own `/validate` only checks the names; the rest Heat finds when the stack is created
 * (properties are validated with their values then), which is still before anything is built, so
 * an author wants to hear about them from `stacklab validate`.
 */
// Imported, not read from a path beside this module: the build bundles it (a path would point into dist/).
import generated from './heat-resource-schemas.json' with { type: 'json' };
import { asCall } from './intrinsics.ts';
import { closest } from './resource-types.ts';
import { isPlainObject, type PathPart } from './yaml-source.ts';

type Constraint =
  | { allowed_values: unknown[] }
  | { range: { min?: number; max?: number } }
  | { length: { min?: number; max?: number } }
  | { allowed_pattern: string };

export interface PropertySchema {
  type: 'String' | 'Integer' | 'Number' | 'Boolean' | 'List' | 'Map' | 'Any';
  required?: true;
  constraints?: Constraint[];
  /** A map's keys, or a list's member schema under `*`. */
  schema?: Record<string, PropertySchema>;
  /** HIDDEN or DEPRECATED (still accepted); absent when supported. */
  status?: string;
}

const SCHEMAS = generated as unknown as { heat: string; types: Record<string, Record<string, PropertySchema>> };

/** The properties schema Heat has for `type`, or undefined when stacklab does not know it. */
export function propertiesSchemaOf(type: string): Record<string, PropertySchema> | undefined {
  const types = SCHEMAS.types;
  return Object.hasOwn(types, type) ? types[type] : undefined;
}

export type ReportProperty = (path: PathPart[], message: string) => void;

/** Checks `properties` (at `path`, the resource's `properties` key) against `schema`. */
export function checkProperties(properties: Record<string, unknown>, schema: Record<string, PropertySchema>, path: PathPart[], version: string, report: ReportProperty): void {
  checkMap(properties, schema, path, version, report);
}

/** Heat words these the same at the top and in nested maps (`networks[0]`); the path says where. */
function checkMap(value: Record<string, unknown>, schema: Record<string, PropertySchema>, path: PathPart[], version: string, report: ReportProperty): void {
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(schema, key)) continue;
    const near = closest(key, Object.keys(schema).filter((k) => schema[k]!.status !== 'HIDDEN'));
    report([...path, key], `Unknown Property ${key}${near ? `. Did you mean ${near}?` : ''}`);
  }
  for (const [key, prop] of Object.entries(schema)) {
    const given = value[key];
    if (given === undefined || given === null) {
      if (prop.required && !replacedByOldName(key, value, schema)) report([...path, key], `Property ${key} not assigned`);
      continue;
    }
    checkValue(given, prop, [...path, key], version, report);
  }
}

/**
 * Heat translates old names onto new ones before it checks `required` (Subnet's `network_id` is
 * `network`, a FloatingIP's `floating_network_id` is `floating_network`), so a required property
 * given under its hidden or deprecated name counts as given.
 */
function replacedByOldName(key: string, value: Record<string, unknown>, schema: Record<string, PropertySchema>): boolean {
  return Object.keys(value).some((k) => schema[k]?.status !== undefined && (k === `${key}_id` || k.startsWith(key) || key.startsWith(k)));
}

function checkValue(value: unknown, prop: PropertySchema, path: PathPart[], version: string, report: ReportProperty): void {
  if (asCall(value, version, 'value')) return;
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  // The conversions of heat/engine/properties.py (Property._get_string, _get_integer, ...).
  switch (prop.type) {
    case 'String':
      // Heat takes booleans and integers as their text, and refuses fractions, lists and maps.
      if (typeof value === 'object' || (typeof value === 'number' && !Number.isInteger(value))) return report(path, `Value must be a string; got ${JSON.stringify(value)}`);
      break;
    case 'Integer':
      // Python's int(): any number (a fraction is cut), a boolean, or the text of an integer.
      if (!(typeof value === 'number' || typeof value === 'boolean') && !(typeof value === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(value))) return report(path, `Value '${shown}' is not an integer`);
      break;
    case 'Number':
      if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) return report(path, `Value '${shown}' is not a number`);
      break;
    case 'Boolean':
      // YAML's yes/no/on/off are booleans already; as text, Heat takes only true and false.
      if (typeof value !== 'boolean' && !(typeof value === 'string' && /^(true|false)$/i.test(value))) return report(path, `"${typeof value === 'string' ? value.toLowerCase() : shown}" is not a valid boolean`);
      break;
    case 'List':
      if (!Array.isArray(value)) return report(path, `"${shown}" is not a list`);
      if (prop.schema?.['*']) value.forEach((item, i) => item !== null && checkValue(item, prop.schema!['*']!, [...path, i], version, report));
      break;
    case 'Map':
      if (!isPlainObject(value)) return report(path, `"${shown}" is not a map`);
      if (prop.schema) checkMap(value, prop.schema, path, version, report);
      break;
    default:
      break;
  }
  for (const c of prop.constraints ?? []) {
    const message = breaks(c, value, shown);
    if (message) report(path, message);
  }
}

/** Heat's constraint messages (heat/engine/constraints.py). */
function breaks(c: Constraint, value: unknown, shown: string): string | undefined {
  if ('allowed_values' in c) {
    // A list (SoftwareDeployment's `actions`) is allowed when each of its items is, as in Heat's AllowedValues._is_valid.
    if (Array.isArray(value)) {
      const ok = value.every((v) => c.allowed_values.some((a) => a === v));
      return ok ? undefined : `[${value.map((v) => JSON.stringify(v)).join(', ')}] is not an allowed value [${c.allowed_values.map((a) => JSON.stringify(a)).join(', ')}]`;
    }
    // Heat compares after converting to the property's type: "4" is allowed where 4 is.
    const ok = c.allowed_values.some((a) => a === value || String(a) === String(value));
    // Heat shows the list as Python's json.dumps does: ["a", "b"], [4, 6].
    return ok ? undefined : `"${shown}" is not an allowed value [${c.allowed_values.map((a) => JSON.stringify(a)).join(', ')}]`;
  }
  if ('range' in c) {
    const n = Number(value);
    if (Number.isNaN(n)) return undefined;
    const { min, max } = c.range;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return `${shown} is out of range (min: ${min ?? 'None'}, max: ${max ?? 'None'})`;
    return undefined;
  }
  if ('length' in c) {
    const length = typeof value === 'string' || Array.isArray(value) ? value.length : isPlainObject(value) ? Object.keys(value).length : undefined;
    if (length === undefined) return undefined;
    const { min, max } = c.length;
    if ((min !== undefined && length < min) || (max !== undefined && length > max)) return `length (${length}) is out of range (min: ${min ?? 'None'}, max: ${max ?? 'None'})`;
    return undefined;
  }
  if (typeof value !== 'string') return undefined;
  let pattern: RegExp;
  try {
    // Heat wants the whole value to match (re.match, then the match's end is the value's end).
    pattern = new RegExp(`^(?:${c.allowed_pattern})$`);
  } catch {
    return undefined; // Python-only syntax: left to Heat
  }
  return pattern.test(value) ? undefined : `"${value}" does not match pattern "${c.allowed_pattern}"`;
}
