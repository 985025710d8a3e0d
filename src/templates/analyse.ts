/**
 * One pass over a template that both `validateTemplate` and `prepareStack` use: parse, environment,
 * resource types, functions and references, parameters, dependency graph and cycles. Problems are
 * located by resource/output/parameter, property and line.
 */
import { checkCondition, checkValue, type CheckScope } from './check-functions.ts';
import { findCycles, type Graph } from './dependencies.ts';
import { emptyEnvironment, readEnvironment, resolveResourceType, type HotEnvironment } from './environment.ts';
import { resolveParameters } from './parameters.ts';
import { readTemplate, type HotTemplate } from './parse.ts';
import { formatPath, type TemplateProblem } from './problems.ts';
import { isHeatResourceType, isTemplateResourceType, unknownTypeMessage } from './resource-types.ts';
import { checkDeploymentServers } from './deployment-servers.ts';
import { checkResourceProperties } from './resource-properties.ts';
import { own } from './values.ts';
import { FUNCTION_NAMES } from './functions/table.ts';
import type { PathPart } from './yaml-source.ts';

export interface AnalyseOptions {
  file?: string;
  /** Environment file text, and its name for messages. */
  environment?: string;
  environmentFile?: string;
  /** Files the template may use with get_file or as nested template types, by the name it uses. */
  files?: Record<string, string>;
  /** Why a file the template names could not be read (outside the lab folder, missing), by that name. */
  unreadableFiles?: Record<string, string>;
  parameters?: Record<string, unknown>;
  requireAllParameters?: boolean;
  ignoreUnknownParameters?: boolean;
  /** Also refuse what only Heat can run (yaql, nested stacks' resource_facade, CFN functions). */
  localRuntime?: boolean;
  /**
   * Check properties against the types' schemas, as Heat does at create. `stacklab validate` does;
   * the local runtime's launch does not, so minimal templates (a server without a flavor) still run there.
   */
  checkProperties?: boolean;
}

export interface Analysis {
  template?: HotTemplate;
  environment: HotEnvironment;
  parameters: Record<string, unknown>;
  /** resource -> the resources it needs first. */
  graph: Graph;
  /** resource -> its type after the environment's resource_registry. */
  types: Record<string, string>;
  problems: TemplateProblem[];
  /** What was not checked and why (a type without a known schema); not a reason to refuse. */
  notes: TemplateProblem[];
}


export function analyseTemplate(text: string, opts: AnalyseOptions = {}): Analysis {
  const file = opts.file;
  const files = opts.files ?? {};
  const unreadableFiles = opts.unreadableFiles ?? {};
  const { template, problems } = readTemplate(text, file);
  let environment = emptyEnvironment();
  if (opts.environment !== undefined) {
    const env = readEnvironment(opts.environment, opts.environmentFile ?? 'environment');
    environment = env.environment;
    problems.push(...env.problems);
  }
  const graph: Graph = new Map();
  const types: Record<string, string> = {};
  const notes: TemplateProblem[] = [];
  const result = (parameters: Record<string, unknown> = {}): Analysis => ({ template, environment, parameters, graph, types, problems, notes });
  if (!template) return result();

  const locate = (path: PathPart[], message: string): TemplateProblem => {
    const line = template.lines.at(path);
    const [section, name, key, ...rest] = path;
    const cut = (parts: PathPart[]) => {
      const i = parts.findIndex((p) => typeof p === 'string' && FUNCTION_NAMES.has(p));
      return formatPath(i < 0 ? parts : parts.slice(0, i));
    };
    if (section === 'resources' && typeof name === 'string') {
      // A call that is the whole properties mapping is about `properties` itself.
      const property = key === 'properties' ? cut(rest) || 'properties' : key === undefined ? undefined : String(key);
      return { file, line, resource: name, ...(property ? { property } : {}), message };
    }
    if (section === 'outputs' && typeof name === 'string') return { file, line, output: name, message };
    if (section === 'conditions' && typeof name === 'string') return { file, line, message: `condition '${name}': ${message}` };
    return { file, line, message };
  };
  const describe = (path: PathPart[]) => {
    const [section, name, key, ...rest] = path;
    if (section === 'resources' && key === 'properties') {
      const inside = formatPath(rest.filter((p) => !(typeof p === 'string' && FUNCTION_NAMES.has(p))));
      return `${String(name)}.Properties${inside ? `.${inside}` : ''}`;
    }
    if (section === 'resources') return `${String(name)}.${String(key)}`;
    if (section === 'outputs') return `Outputs.${String(name)}`;
    return formatPath(path);
  };

  // Types first: get_attr checks need each resource's effective type.
  for (const [name, resource] of Object.entries(template.resources)) {
    const resolved = resolveResourceType(environment, name, resource.type);
    if (resolved === undefined) {
      problems.push(locate(['resources', name, 'type'], `The resource_registry maps the type ${resource.type} in a loop`));
      continue;
    }
    types[name] = resolved;
    const overrides = own(environment.resourceOverrides, name);
    const registered = own(environment.resourceRegistry, resolved) === resolved || (overrides !== undefined && own(overrides, resolved) === resolved);
    if (isHeatResourceType(resolved) || registered) continue;
    if (isTemplateResourceType(resolved)) {
      const why = Object.hasOwn(unreadableFiles, resolved) ? unreadableFiles[resolved] : 'the file was not provided with the template';
      if (!Object.hasOwn(files, resolved)) problems.push(locate(['resources', name, 'type'], `Could not fetch remote template "${resolved}": ${why}`));
      continue;
    }
    const mapped = resolved !== resource.type ? ` (${resource.type} is mapped to it by the environment)` : '';
    problems.push(locate(['resources', name, 'type'], unknownTypeMessage(resolved) + mapped));
  }

  if (opts.checkProperties) checkResourceProperties(template, types, files, {
    problem: (path, message) => problems.push(locate(path, message)),
    note: (path, message) => notes.push(locate(path, message)),
  });
  if (opts.checkProperties) checkDeploymentServers(template, types, (path, message) => problems.push(locate(path, message)));

  const scopeFor = (references: Set<string>): CheckScope => ({
    template,
    files,
    unreadableFiles,
    resourceType: (r) => types[r],
    report: (path, message) => problems.push(locate(path, message)),
    references,
    localRuntime: opts.localRuntime === true,
    describe,
  });

  for (const [name, resource] of Object.entries(template.resources)) {
    const references = new Set<string>();
    const scope = scopeFor(references);
    checkValue(resource.properties, ['resources', name, 'properties'], scope);
    if (resource.metadata !== undefined) checkValue(resource.metadata, ['resources', name, 'metadata'], scope);
    if (resource.condition !== undefined) checkCondition(resource.condition, ['resources', name, 'condition'], scope);
    resource.dependsOn.forEach((dep, i) => {
      // For `depends_on: name` the index finds no node and the line falls back to the key's.
      const path = ['resources', name, 'depends_on', i];
      if (!Object.hasOwn(template.resources, dep)) problems.push(locate(path, `The specified reference "${dep}" (in ${name}) is incorrect.`));
      else references.add(dep);
    });
    graph.set(name, references);
  }
  for (const [name, condition] of Object.entries(template.conditions)) {
    checkCondition(condition, ['conditions', name], scopeFor(new Set()));
  }
  for (const [name, output] of Object.entries(template.outputs)) {
    const scope = scopeFor(new Set());
    checkValue(output.value, ['outputs', name, 'value'], scope);
    if (output.condition !== undefined) checkCondition(output.condition, ['outputs', name, 'condition'], scope);
  }

  for (const cycle of findCycles(graph)) {
    problems.push(locate(['resources', cycle[0]!], `Circular Dependency Found: ${cycle.join(' -> ')}`));
  }

  const params = resolveParameters(template, {
    given: opts.parameters ?? {},
    environment,
    requireAll: opts.requireAllParameters === true,
    ignoreUnknown: opts.ignoreUnknownParameters === true,
  });
  problems.push(...params.problems);
  return result(params.values);
}
