/**
 * A template's parameter declarations: type, default, flags and constraints, each refused with
 * Heat's wording when malformed (values are checked against them in parameters.ts).
 */
import type { HotParameter, ParameterConstraint, ParameterType } from './parse.ts';
import { shownValue } from './values.ts';
import { PARAMETER_KEYS, PARAMETER_TYPES } from './versions.ts';
import { isPlainObject, typeName, type PathPart } from './yaml-source.ts';

export function readParameter(name: string, raw: unknown, problem: (path: PathPart[], message: string) => void): HotParameter | undefined {
  if (!isPlainObject(raw)) {
    problem([], `Invalid parameter schema for parameter ${name}: expected a mapping, found a ${typeName(raw)}`);
    return undefined;
  }
  for (const k of Object.keys(raw)) {
    if (!PARAMETER_KEYS.includes(k)) problem([k], `Invalid key '${k}' for parameter (${name})`);
  }
  if (raw.type === undefined) {
    problem([], `Missing parameter type for parameter: ${name}`);
    return undefined;
  }
  if (!(PARAMETER_TYPES as readonly unknown[]).includes(raw.type)) {
    problem(['type'], `Invalid type (${shownValue(raw.type)}); expected one of ${PARAMETER_TYPES.join(', ')}`);
    return undefined;
  }
  const type = raw.type as ParameterType;
  const constraints: ParameterConstraint[] = [];
  const list = raw.constraints;
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    problem(['constraints'], `Invalid parameter constraints for parameter ${name}, expected a list`);
  } else if (Array.isArray(list)) {
    list.forEach((c, i) => {
      const parsed = readConstraint(type, c, (message) => problem(['constraints', i], message));
      if (parsed) constraints.push(parsed);
    });
  }
  return {
    type,
    constraints,
    ...('default' in raw && raw.default !== null ? { default: raw.default } : {}),
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    ...(typeof raw.label === 'string' ? { label: raw.label } : {}),
    ...(raw.hidden !== undefined ? { hidden: raw.hidden === true || raw.hidden === 'true' } : {}),
    ...(raw.immutable !== undefined ? { immutable: raw.immutable === true } : {}),
  };
}

const CONSTRAINTS_FOR: Record<string, ParameterType[]> = {
  length: ['string', 'comma_delimited_list', 'json'],
  range: ['number'],
  modulo: ['number'],
  allowed_values: ['string', 'number', 'comma_delimited_list', 'boolean'],
  allowed_pattern: ['string'],
  custom_constraint: ['string', 'number', 'json', 'comma_delimited_list', 'boolean'],
};

function readConstraint(type: ParameterType, raw: unknown, problem: (message: string) => void): ParameterConstraint | undefined {
  if (!isPlainObject(raw)) {
    problem('Invalid parameter constraints: each constraint must be a mapping');
    return undefined;
  }
  const description = typeof raw.description === 'string' ? { description: raw.description } : {};
  const kinds = Object.keys(raw).filter((k) => k !== 'description');
  if (kinds.length !== 1 || !Object.hasOwn(CONSTRAINTS_FOR, kinds[0]!)) {
    problem(`Invalid key(s) ${kinds.map((k) => `'${k}'`).join(', ') || '(none)'} for parameter constraints; expected one of ${Object.keys(CONSTRAINTS_FOR).join(', ')}`);
    return undefined;
  }
  const kind = kinds[0]!;
  if (!CONSTRAINTS_FOR[kind]!.includes(type)) {
    problem(`Invalid ${kind} constraint for parameter type ${type}`);
    return undefined;
  }
  const value = raw[kind];
  const bounds = (what: string) => {
    if (!isPlainObject(value) || (value.min === undefined && value.max === undefined)) {
      problem(`Invalid ${what} constraint: expected a mapping with min and/or max`);
      return undefined;
    }
    const min = value.min === undefined ? undefined : Number(value.min);
    const max = value.max === undefined ? undefined : Number(value.max);
    if ((min !== undefined && Number.isNaN(min)) || (max !== undefined && Number.isNaN(max))) {
      problem(`Invalid ${what} constraint: min and max must be numbers`);
      return undefined;
    }
    return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  };
  switch (kind) {
    case 'length':
    case 'range': {
      const b = bounds(kind);
      return b ? { kind, ...b, ...description } : undefined;
    }
    case 'modulo': {
      if (!isPlainObject(value) || typeof value.step !== 'number' || typeof value.offset !== 'number' || value.step === 0) {
        problem('Invalid modulo constraint: expected a mapping with a non-zero step and an offset');
        return undefined;
      }
      return { kind, step: value.step, offset: value.offset, ...description };
    }
    case 'allowed_values':
      if (!Array.isArray(value)) {
        problem('Invalid allowed_values constraint: expected a list');
        return undefined;
      }
      return { kind, values: value, ...description };
    case 'allowed_pattern':
      if (typeof value !== 'string') {
        problem('Invalid allowed_pattern constraint: expected a string');
        return undefined;
      }
      try {
        new RegExp(value);
      } catch {
        problem(`Invalid allowed_pattern constraint: "${value}" is not a valid regular expression`);
        return undefined;
      }
      return { kind, pattern: value, ...description };
    default:
      return { kind: 'custom_constraint', name: String(value), ...description };
  }
}

