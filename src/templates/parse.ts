/**
 * Reads a HOT template into a typed structure and refuses what Heat refuses at load time: not a
 * mapping, an unknown `heat_template_version`, unknown sections or keywords, a resource without a
 * `type`, properties that are not a mapping, malformed parameter declarations. Deeper checks
 * (references, functions, types, cycles) are in validate.ts.
 */
import { TemplateError, type TemplateProblem } from './problems.ts';
import {
  canonicalVersion,
  DELETION_POLICIES,
  KNOWN_VERSIONS,
  outputKeysFor,
  PARAMETER_TYPES,
  resourceKeysFor,
  sectionsFor,
} from './versions.ts';
import { readParameter } from './parameter-declarations.ts';
import { shownValue } from './values.ts';
import { isPlainObject, readYaml, typeName, type PathPart } from './yaml-source.ts';

export type ParameterType = (typeof PARAMETER_TYPES)[number];

export type ParameterConstraint = { description?: string } & (
  | { kind: 'length'; min?: number; max?: number }
  | { kind: 'range'; min?: number; max?: number }
  | { kind: 'modulo'; step: number; offset: number }
  | { kind: 'allowed_values'; values: unknown[] }
  | { kind: 'allowed_pattern'; pattern: string }
  | { kind: 'custom_constraint'; name: string }
);

export interface HotParameter {
  type: ParameterType;
  default?: unknown;
  description?: string;
  label?: string;
  hidden?: boolean;
  immutable?: boolean;
  constraints: ParameterConstraint[];
}

export interface HotResource {
  type: string;
  properties: Record<string, unknown>;
  dependsOn: string[];
  metadata?: unknown;
  condition?: unknown;
  deletionPolicy?: string;
  updatePolicy?: unknown;
}

export interface HotOutput {
  description?: string;
  value: unknown;
  condition?: unknown;
}

export interface TemplateLines {
  resource(name: string): number | undefined;
  property(resource: string, path: readonly PathPart[]): number | undefined;
  parameter(name: string): number | undefined;
  output(name: string): number | undefined;
  condition(name: string): number | undefined;
  /** Any node by its path from the document root, e.g. `['resources', 'server1', 'depends_on', 0]`. */
  at(path: readonly PathPart[]): number | undefined;
}

export interface HotTemplate {
  heatTemplateVersion: string;
  /** The dated form of `heatTemplateVersion` (release names such as `wallaby` mapped to their date). */
  version: string;
  description?: string;
  file?: string;
  parameters: Record<string, HotParameter>;
  parameterGroups: { label?: string; description?: string; parameters: string[] }[];
  resources: Record<string, HotResource>;
  outputs: Record<string, HotOutput>;
  conditions: Record<string, unknown>;
  lines: TemplateLines;
}

/** Parses and returns the template, or throws a TemplateError listing every problem found. */
export function parseTemplate(text: string, file?: string): HotTemplate {
  const { template, problems } = readTemplate(text, file);
  if (!template || problems.length > 0) throw new TemplateError(problems);
  return template;
}

/** Like parseTemplate but returns what it could build alongside the problems, for validate. */
export function readTemplate(text: string, file?: string): { template?: HotTemplate; problems: TemplateProblem[] } {
  const { source, problems: yamlProblems } = readYaml(text, file);
  if (!source) return { problems: yamlProblems };
  const problems: TemplateProblem[] = [];
  const at = source.lineOf;
  const add = (path: PathPart[], message: string, extra: Partial<TemplateProblem> = {}) =>
    // An empty document has no line of its own: its problems are on line 1.
    problems.push({ file, line: at(path) ?? (path.length === 0 ? 1 : undefined), ...extra, message });

  const doc = source.value;
  if (!isPlainObject(doc)) {
    add([], `The template is not a mapping (found a ${typeName(doc)}); a HOT template starts with heat_template_version.`);
    return { problems };
  }
  const rawVersion = doc.heat_template_version;
  const version = canonicalVersion(rawVersion);
  if (rawVersion === undefined) {
    add([], 'Template format version not found: the template needs a heat_template_version key.');
    return { problems };
  }
  if (!version) {
    add(['heat_template_version'], `The template version is invalid: "heat_template_version: ${shownValue(rawVersion)}". "heat_template_version" should be one of: ${KNOWN_VERSIONS.join(', ')}`);
    return { problems };
  }

  const sections = sectionsFor(version);
  for (const section of Object.keys(doc)) {
    if (!sections.includes(section)) {
      const hint = section === 'conditions' ? ' (conditions need heat_template_version 2016-10-14 or later)' : '';
      add([section], `The template section is invalid: ${section}${hint}`);
    }
  }
  if (doc.description !== undefined && doc.description !== null && typeof doc.description !== 'string') {
    add(['description'], 'The description must be a string.');
  }

  const section = (name: string): Record<string, unknown> => {
    const v = doc[name];
    if (v === undefined || v === null) return {};
    if (!isPlainObject(v)) {
      add([name], `The "${name}" section must be a mapping, found a ${typeName(v)}.`);
      return {};
    }
    return v;
  };

  const parameters: Record<string, HotParameter> = {};
  for (const [name, raw] of Object.entries(section('parameters'))) {
    const p = readParameter(name, raw, (path, message) => add(['parameters', name, ...path], message, { parameter: name }));
    if (p) parameters[name] = p;
  }

  const resources: Record<string, HotResource> = {};
  const resourceKeys = resourceKeysFor(version);
  for (const [name, raw] of Object.entries(section('resources'))) {
    const where = (path: PathPart[]) => ['resources', name, ...path];
    const problem = (path: PathPart[], message: string, property?: string) =>
      add(where(path), message, { resource: name, ...(property ? { property } : {}) });
    if (!isPlainObject(raw)) {
      if (raw === null || raw === undefined) problem([], 'Each resource must contain a type key.', 'type');
      else problem([], `"resources" must contain a map of resource maps. Found a [${typeName(raw)}] instead`);
      continue;
    }
    for (const k of Object.keys(raw)) {
      if (!resourceKeys.includes(k)) problem([k], `"${k}" is not a valid keyword inside a resource definition`, k);
    }
    if (typeof raw.type !== 'string' || raw.type.length === 0) {
      problem(raw.type === undefined ? [] : ['type'], raw.type === undefined ? `Resource ${name} is missing "type"` : `Resource ${name} "type" must be a string`, 'type');
      continue;
    }
    let properties: Record<string, unknown> = {};
    if (raw.properties !== undefined && raw.properties !== null) {
      if (isPlainObject(raw.properties)) properties = raw.properties;
      else problem(['properties'], `Resource ${name} "properties" must be a mapping, found a ${typeName(raw.properties)}`, 'properties');
    }
    let dependsOn: string[] = [];
    const deps = raw.depends_on;
    if (typeof deps === 'string') dependsOn = [deps];
    else if (Array.isArray(deps) && deps.every((d) => typeof d === 'string')) dependsOn = deps as string[];
    else if (deps !== undefined && deps !== null) problem(['depends_on'], `Resource ${name} "depends_on" must be a list or string (resource names)`, 'depends_on');
    const policy = raw.deletion_policy;
    if (policy !== undefined && (typeof policy !== 'string' || !DELETION_POLICIES.includes(policy))) {
      problem(['deletion_policy'], `Invalid deletion policy "${shownValue(policy)}" (expected one of ${DELETION_POLICIES.join(', ')})`, 'deletion_policy');
    }
    if (raw.metadata !== undefined && raw.metadata !== null && !isPlainObject(raw.metadata)) {
      problem(['metadata'], `Resource ${name} "metadata" must be a mapping, found a ${typeName(raw.metadata)}`, 'metadata');
    }
    resources[name] = {
      type: raw.type,
      properties,
      dependsOn,
      ...(raw.metadata !== undefined ? { metadata: raw.metadata } : {}),
      ...(raw.condition !== undefined ? { condition: raw.condition } : {}),
      ...(typeof policy === 'string' ? { deletionPolicy: policy } : {}),
      ...(raw.update_policy !== undefined ? { updatePolicy: raw.update_policy } : {}),
    };
  }

  const outputs: Record<string, HotOutput> = {};
  const outputKeys = outputKeysFor(version);
  for (const [name, raw] of Object.entries(section('outputs'))) {
    const problem = (path: PathPart[], message: string) => add(['outputs', name, ...path], message, { output: name });
    if (!isPlainObject(raw) || !('value' in raw)) {
      problem([], 'Each output must contain a value key.');
      continue;
    }
    for (const k of Object.keys(raw)) {
      if (!outputKeys.includes(k)) problem([k], `"${k}" is not a valid keyword inside a output definition`);
    }
    outputs[name] = {
      value: raw.value,
      ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
      ...(raw.condition !== undefined ? { condition: raw.condition } : {}),
    };
  }

  const parameterGroups: HotTemplate['parameterGroups'] = [];
  const groups = doc.parameter_groups;
  if (groups !== undefined && groups !== null) {
    if (!Array.isArray(groups)) add(['parameter_groups'], 'The "parameter_groups" section must be a list.');
    else {
      groups.forEach((g, i) => {
        if (!isPlainObject(g) || !Array.isArray(g.parameters)) {
          add(['parameter_groups', i], 'Parameters must be provided for each parameter group.');
          return;
        }
        const names = g.parameters.map(String);
        names.forEach((p, j) => {
          if (!Object.hasOwn(parameters, p)) add(['parameter_groups', i, 'parameters', j], `The grouped parameter ${p} does not reference a valid parameter.`, { parameter: p });
        });
        parameterGroups.push({
          parameters: names,
          ...(typeof g.label === 'string' ? { label: g.label } : {}),
          ...(typeof g.description === 'string' ? { description: g.description } : {}),
        });
      });
    }
  }

  const template: HotTemplate = {
    heatTemplateVersion: String(rawVersion),
    version,
    ...(typeof doc.description === 'string' ? { description: doc.description } : {}),
    ...(file !== undefined ? { file } : {}),
    parameters,
    parameterGroups,
    resources,
    outputs,
    conditions: section('conditions'),
    lines: {
      resource: (name) => source.exactLineOf(['resources', name]),
      property: (resource, path) => at(['resources', resource, 'properties', ...path]),
      parameter: (name) => source.exactLineOf(['parameters', name]),
      output: (name) => source.exactLineOf(['outputs', name]),
      condition: (name) => source.exactLineOf(['conditions', name]),
      at,
    },
  };
  return { template, problems };
}
