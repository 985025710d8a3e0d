/**
 * Parameter values: where a value comes from (given > environment `parameters` > environment
 * `parameter_defaults` > the template's `default`), how a string becomes the declared type, and the
 * constraints Heat checks. Messages follow Heat's ("Parameter 'x' is invalid: ..."); a hidden
 * parameter's value never appears in one.
 */
import type { HotEnvironment } from './environment.ts';
import type { HotParameter, HotTemplate, ParameterConstraint } from './parse.ts';
import type { TemplateProblem } from './problems.ts';
import { isPlainObject, typeName } from './yaml-source.ts';

const TRUE = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE = ['0', 'f', 'false', 'off', 'n', 'no'];

type Converted = { ok: true; value: unknown } | { ok: false; message: string };

/** Converts a given value to the parameter's type the way Heat does (strings are parsed). */
export function convertParameterValue(param: HotParameter, value: unknown): Converted {
  const shown = () => (param.hidden ? '******' : JSON.stringify(value));
  switch (param.type) {
    case 'string':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
      return { ok: false, message: `Value must be a string, found a ${typeName(value)}` };
    case 'number': {
      if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return { ok: true, value: Number(value) };
      return { ok: false, message: `Value ${shown()} is not a number` };
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      const s = String(value).trim().toLowerCase();
      if (TRUE.includes(s)) return { ok: true, value: true };
      if (FALSE.includes(s)) return { ok: true, value: false };
      return { ok: false, message: `Unrecognized value ${shown()}, acceptable values are: ${[...FALSE, ...TRUE].sort().map((v) => `'${v}'`).join(', ')}` };
    }
    case 'comma_delimited_list':
      if (Array.isArray(value)) return { ok: true, value: value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) };
      if (typeof value === 'string') return { ok: true, value: value === '' ? [] : value.split(',').map((s) => s.trim()) };
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: [String(value)] };
      return { ok: false, message: `Value must be a comma-delimited list string or a list, found a ${typeName(value)}` };
    case 'json': {
      if (isPlainObject(value) || Array.isArray(value)) return { ok: true, value };
      if (typeof value === 'string') {
        if (value.trim() === '') return { ok: true, value: {} };
        try {
          const parsed: unknown = JSON.parse(value);
          if (isPlainObject(parsed) || Array.isArray(parsed)) return { ok: true, value: parsed };
        } catch {
          // reported below
        }
      }
      return { ok: false, message: `Value must be valid JSON (a map or a list)${param.hidden ? '' : `, found ${JSON.stringify(value)}`}` };
    }
  }
}

/** The first failed constraint's message, or undefined when the (converted) value satisfies all. */
export function checkConstraints(param: HotParameter, value: unknown): string | undefined {
  for (const c of param.constraints) {
    const failure = failed(c, param, value);
    if (failure) return c.description ?? failure;
  }
  return undefined;
}

function failed(c: ParameterConstraint, param: HotParameter, value: unknown): string | undefined {
  const shown = (v: unknown) => (param.hidden ? '******' : typeof v === 'string' ? v : JSON.stringify(v));
  switch (c.kind) {
    case 'length': {
      const length = typeof value === 'string' || Array.isArray(value) ? value.length : isPlainObject(value) ? Object.keys(value).length : 0;
      if ((c.min !== undefined && length < c.min) || (c.max !== undefined && length > c.max)) {
        return `length (${length}) is out of range (min: ${c.min ?? 'None'}, max: ${c.max ?? 'None'})`;
      }
      return undefined;
    }
    case 'range': {
      const n = Number(value);
      if ((c.min !== undefined && n < c.min) || (c.max !== undefined && n > c.max)) {
        return `${shown(value)} is out of range (min: ${c.min ?? 'None'}, max: ${c.max ?? 'None'})`;
      }
      return undefined;
    }
    case 'modulo': {
      const n = Number(value);
      const rest = ((n % c.step) + c.step) % c.step;
      return rest === c.offset ? undefined : `${shown(value)} is not a multiple of ${c.step} with an offset of ${c.offset})`;
    }
    case 'allowed_values': {
      const items = Array.isArray(value) ? value : [value];
      // Heat compares as strings for string parameters and as numbers for numbers.
      const allowed = c.values.map((v) => String(v));
      const bad = items.find((v) => !allowed.includes(String(v)));
      return bad === undefined ? undefined : `"${shown(bad)}" is not an allowed value [${c.values.map(String).join(', ')}]`;
    }
    case 'allowed_pattern': {
      const s = String(value);
      // Heat uses re.match and then requires the match to cover the whole value.
      const match = new RegExp(`^(?:${c.pattern})`).exec(s);
      return match && match[0].length === s.length ? undefined : `"${shown(value)}" does not match pattern "${c.pattern}"`;
    }
    case 'custom_constraint':
      // Custom constraints (nova.flavor, glance.image, ...) need the cloud; the runtime checks them.
      return undefined;
  }
}

export interface ParameterResolution {
  values: Record<string, unknown>;
  problems: TemplateProblem[];
}

export interface ParameterOptions {
  /** Values given for this launch (the lab's parameters and the platform's, e.g. `run`). */
  given?: Record<string, unknown>;
  environment?: HotEnvironment;
  /** Report parameters without a value (no default anywhere); validate without values skips this. */
  requireAll?: boolean;
  /** Drop given values the template does not declare instead of refusing them as Heat does. */
  ignoreUnknown?: boolean;
}

export function resolveParameters(template: HotTemplate, opts: ParameterOptions): ParameterResolution {
  const values: Record<string, unknown> = {};
  const problems: TemplateProblem[] = [];
  const file = template.file;
  const given = { ...(opts.environment?.parameters ?? {}), ...(opts.given ?? {}) };
  const defaults = opts.environment?.parameterDefaults ?? {};

  if (!opts.ignoreUnknown) {
    for (const name of Object.keys(given)) {
      if (!Object.hasOwn(template.parameters, name)) problems.push({ file, parameter: name, message: `The Parameter (${name}) was not defined in template.` });
    }
  }
  for (const [name, param] of Object.entries(template.parameters)) {
    const line = template.lines.parameter(name);
    const problem = (message: string) => problems.push({ file, line, parameter: name, message });
    // A declared default is checked even when a value is given: Heat refuses a template whose
    // default breaks its own constraints.
    if (param.default !== undefined) {
      const d = convertParameterValue(param, param.default);
      const bad = d.ok ? checkConstraints(param, d.value) : d.message;
      const shown = param.hidden ? '******' : typeof param.default === 'string' ? param.default : JSON.stringify(param.default);
      if (bad) problem(`Parameter '${name}' is invalid: Invalid default ${shown} (${bad})`);
    }
    const source = Object.hasOwn(given, name) ? given[name] : Object.hasOwn(defaults, name) ? defaults[name] : param.default;
    if (source === undefined || source === null) {
      if (opts.requireAll) problem(`The Parameter (${name}) was not provided.`);
      continue;
    }
    const converted = convertParameterValue(param, source);
    if (!converted.ok) {
      problem(`Parameter '${name}' is invalid: ${converted.message}`);
      continue;
    }
    const bad = checkConstraints(param, converted.value);
    if (bad && source !== param.default) {
      problem(`Parameter '${name}' is invalid: ${bad}`);
      continue;
    }
    values[name] = converted.value;
  }
  return { values, problems };
}
