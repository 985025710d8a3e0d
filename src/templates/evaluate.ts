/**
 * Evaluation of a template for a runtime that creates resources one after the other (the local
 * runtime). `prepareStack` checks everything it can up front (the same checks as validate, plus
 * what only Heat can run) and resolves parameters and conditions; the runtime then asks for each
 * resource's properties in `order`, once the resources it depends on exist, and for the outputs
 * at the end.
 */
import { analyseTemplate } from './analyse.ts';
import { resolveResourceType } from './environment.ts';
import { dependencyOrder } from './dependencies.ts';
import type { HotTemplate } from './parse.ts';
import { formatPath, TemplateError, type TemplateProblem } from './problems.ts';
import { EvaluationFailure, resolveCondition, resolveValue, type ResolveScope } from './resolve-value.ts';
import { own } from './values.ts';
import { FUNCTION_NAMES } from './functions/table.ts';
import type { PathPart } from './yaml-source.ts';

export interface EvaluationContext {
  stackName: string;
  stackId: string;
  /** OS::project_id; the local runtime may leave it out (then `stacklab`). */
  projectId?: string;
  /** Value of get_resource for a created resource (its physical id). */
  resourceId(name: string): string;
  /**
   * Value of get_attr for a created resource, WITH `path` applied: path holds the extra keys/indices
   * after the attribute name (`get_attr: [server, networks, private, 0]` -> attribute `networks`,
   * path `['private', 0]`). `selectPath(value, path, { missing: null })` from values.ts does this
   * the way Heat does (a missing key gives null).
   */
  attribute(resource: string, attribute: string, path: (string | number)[]): unknown;
}

export interface StackEvaluation {
  /** Resolved, typed, constraints checked. */
  parameters: Record<string, unknown>;
  /** Resources in dependency order (get_resource/get_attr/depends_on); resources a condition disabled are left out. */
  order: string[];
  /** The resources (of `order`) that `resource` needs first. */
  dependencies(resource: string): string[];
  /** Resolves a resource's properties; call only after all its dependencies exist. Null values are left out, as Heat treats them as unset. */
  properties(resource: string, ctx: EvaluationContext): Record<string, unknown>;
  /** Every output; an output its condition disabled is null. */
  outputs(ctx: EvaluationContext): Record<string, unknown>;
  /** A resource's resolved metadata (for cloud-init style consumers); undefined when it has none. */
  metadata(resource: string, ctx: EvaluationContext): unknown;
  /** The type after the environment's resource_registry (what the runtime must build). */
  resourceType(resource: string): string;
  /**
   * A type named inside a resource (a ResourceGroup's `resource_def`) after the registry's global
   * mappings, as Heat maps the members of the nested stack it makes; undefined for a mapping loop.
   */
  mappedType(type: string): string | undefined;
  template: HotTemplate;
}

export interface PrepareOptions {
  file?: string;
  environment?: string;
  environmentFile?: string;
  /** Files for get_file, by the name the template uses. */
  files?: Record<string, string>;
  parameters: Record<string, unknown>;
  /** Drop given parameters the template does not declare (Heat refuses them). */
  ignoreUnknownParameters?: boolean;
  /** Needed only when a condition uses OS::stack_name / OS::stack_id / OS::project_id. */
  stackName?: string;
  stackId?: string;
  projectId?: string;
}

const DEFAULT_PROJECT = 'stacklab';

export function prepareStack(text: string, opts: PrepareOptions): StackEvaluation {
  const analysis = analyseTemplate(text, {
    ...opts,
    requireAllParameters: true,
    localRuntime: true,
  });
  const { template, problems } = analysis;
  if (!template || problems.length > 0) throw new TemplateError(problems);
  const files = opts.files ?? {};
  const parameters = analysis.parameters;

  const failure = (err: unknown, base: PathPart[], where: Partial<TemplateProblem>, prefix = ''): TemplateError => {
    if (err instanceof TemplateError) return err;
    const rel = err instanceof EvaluationFailure ? err.path : [];
    const full = [...base, ...rel];
    const cut = rel.findIndex((p) => typeof p === 'string' && FUNCTION_NAMES.has(p));
    const property = base[2] === 'properties' ? formatPath(cut < 0 ? rel : rel.slice(0, cut)) || 'properties' : undefined;
    return new TemplateError([
      { file: template.file, line: template.lines.at(full), ...where, ...(property ? { property } : {}), message: prefix + (err as Error).message },
    ], { cause: err });
  };

  const pseudo = (name: string, ctx?: EvaluationContext): unknown => {
    const value =
      name === 'OS::stack_name' ? (ctx?.stackName ?? opts.stackName) : name === 'OS::stack_id' ? (ctx?.stackId ?? opts.stackId) : (ctx?.projectId ?? opts.projectId ?? DEFAULT_PROJECT);
    if (value === undefined) throw new Error(`${name} is not known before the stack is named; a condition cannot use it here`);
    return value;
  };

  // Conditions depend on parameters only, so they are settled once, here.
  const conditionValues = new Map<string, boolean>();
  const evaluating = new Set<string>();
  const scopeFor = (ctx?: EvaluationContext): ResolveScope => ({
    version: template.version,
    parameter: (name) => (name.startsWith('OS::') ? pseudo(name, ctx) : own(parameters, name)),
    resourceId: (name) => {
      if (!ctx) throw new Error('get_resource cannot be used here');
      return enabled.has(name) ? ctx.resourceId(name) : null;
    },
    attribute: (resource, attribute, path) => {
      if (!ctx) throw new Error('get_attr cannot be used here');
      return enabled.has(resource) ? ctx.attribute(resource, attribute, path) : null;
    },
    condition: conditionNamed,
    file: (name) => {
      const content = own(files, name);
      if (content === undefined) throw new Error(`get_file: the file "${name}" was not provided with the template`);
      return content;
    },
  });
  function conditionNamed(name: string): boolean {
    const known = conditionValues.get(name);
    if (known !== undefined) return known;
    if (evaluating.has(name)) throw new TemplateError([{ file: template!.file, line: template!.lines.condition(name), message: `condition '${name}' refers to itself (through ${[...evaluating].join(' -> ')})` }]);
    evaluating.add(name);
    try {
      const value = resolveCondition(template!.conditions[name], scopeFor(), []);
      conditionValues.set(name, value);
      return value;
    } catch (err) {
      throw failure(err, ['conditions', name], {}, `condition '${name}': `);
    } finally {
      evaluating.delete(name);
    }
  }
  const conditionHolds = (condition: unknown, base: PathPart[], where: Partial<TemplateProblem>) => {
    if (condition === undefined) return true;
    try {
      return resolveCondition(condition, scopeFor(), []);
    } catch (err) {
      throw failure(err, base, where);
    }
  };

  const enabled = new Set<string>();
  for (const [name, resource] of Object.entries(template.resources)) {
    if (conditionHolds(resource.condition, ['resources', name, 'condition'], { resource: name, property: 'condition' })) enabled.add(name);
  }
  const graph = new Map([...analysis.graph].filter(([name]) => enabled.has(name)).map(([name, deps]) => [name, new Set([...deps].filter((d) => enabled.has(d)))]));
  const order = dependencyOrder(graph);

  const requireEnabled = (resource: string) => {
    if (!Object.hasOwn(template.resources, resource)) throw new Error(`There is no resource named "${resource}" in the template`);
    if (!enabled.has(resource)) throw new Error(`Resource "${resource}" is disabled by its condition and is not built`);
  };

  return {
    parameters,
    order,
    template,
    dependencies: (resource) => {
      requireEnabled(resource);
      return order.filter((r) => graph.get(resource)!.has(r));
    },
    resourceType: (resource) => {
      requireEnabled(resource);
      return analysis.types[resource]!;
    },
    // No per-resource override: those name the parent template's resources, not a nested stack's.
    mappedType: (type) => resolveResourceType({ ...analysis.environment, resourceOverrides: {} }, '', type),
    properties: (resource, ctx) => {
      requireEnabled(resource);
      const base = ['resources', resource, 'properties'];
      try {
        const resolved = resolveValue(template.resources[resource]!.properties, scopeFor(ctx), []) as Record<string, unknown>;
        return Object.fromEntries(Object.entries(resolved).filter(([, v]) => v !== null && v !== undefined));
      } catch (err) {
        throw failure(err, base, { resource });
      }
    },
    metadata: (resource, ctx) => {
      requireEnabled(resource);
      const metadata = template.resources[resource]!.metadata;
      if (metadata === undefined) return undefined;
      try {
        return resolveValue(metadata, scopeFor(ctx), []);
      } catch (err) {
        throw failure(err, ['resources', resource, 'metadata'], { resource, property: 'metadata' });
      }
    },
    outputs: (ctx) => {
      const out: Record<string, unknown> = {};
      for (const [name, output] of Object.entries(template.outputs)) {
        if (!conditionHolds(output.condition, ['outputs', name, 'condition'], { output: name })) {
          out[name] = null;
          continue;
        }
        try {
          out[name] = resolveValue(output.value, scopeFor(ctx), []);
        } catch (err) {
          throw failure(err, ['outputs', name, 'value'], { output: name });
        }
      }
      return out;
    },
  };
}
