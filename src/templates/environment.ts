/**
 * Heat environment files: parameter values, parameter defaults and the resource registry that maps
 * custom type names (or whole namespaces with `*`) onto real types or nested templates.
 */
import { HEAT_DEFAULT_REGISTRY } from './default-registry.ts';
import { TemplateError, type TemplateProblem } from './problems.ts';
import { own } from './values.ts';
import { isPlainObject, readYaml, typeName } from './yaml-source.ts';

export interface HotEnvironment {
  parameters: Record<string, unknown>;
  parameterDefaults: Record<string, unknown>;
  /** Global mappings: `My::Type` -> `OS::Nova::Server` or `my.yaml`; `OS::Networking::*` -> `OS::Neutron::*`. */
  resourceRegistry: Record<string, string>;
  /** Per-resource mappings from the registry's `resources:` subsection: resource name -> (type -> type). */
  resourceOverrides: Record<string, Record<string, string>>;
}

const SECTIONS = ['parameters', 'parameter_defaults', 'resource_registry', 'encrypted_param_names', 'event_sinks', 'parameter_merge_strategies'];

export function emptyEnvironment(): HotEnvironment {
  return { parameters: {}, parameterDefaults: {}, resourceRegistry: {}, resourceOverrides: {} };
}

export function parseEnvironment(text: string, file?: string): HotEnvironment {
  const { environment, problems } = readEnvironment(text, file);
  if (problems.length > 0) throw new TemplateError(problems);
  return environment;
}

export function readEnvironment(text: string, file?: string): { environment: HotEnvironment; problems: TemplateProblem[] } {
  const environment = emptyEnvironment();
  const { source, problems } = readYaml(text, file);
  if (!source) return { environment, problems };
  const at = source.lineOf;
  const add = (path: (string | number)[], message: string) => problems.push({ file, line: at(path), message });
  const doc = source.value;
  if (doc === null || doc === undefined) return { environment, problems };
  if (!isPlainObject(doc)) {
    add([], `The environment is not a mapping (found a ${typeName(doc)}).`);
    return { environment, problems };
  }
  for (const k of Object.keys(doc)) {
    if (!SECTIONS.includes(k)) add([k], `environment has wrong section "${k}" (expected one of ${SECTIONS.join(', ')})`);
  }
  const mapping = (name: string): Record<string, unknown> => {
    const v = doc[name];
    if (v === undefined || v === null) return {};
    if (!isPlainObject(v)) {
      add([name], `The environment section "${name}" must be a mapping, found a ${typeName(v)}.`);
      return {};
    }
    return v;
  };
  environment.parameters = mapping('parameters');
  environment.parameterDefaults = mapping('parameter_defaults');
  for (const [from, to] of Object.entries(mapping('resource_registry'))) {
    if (from === 'resources') {
      if (!isPlainObject(to)) {
        add(['resource_registry', 'resources'], 'resource_registry "resources" must be a mapping of resource names.');
        continue;
      }
      for (const [resource, types] of Object.entries(to)) {
        if (!isPlainObject(types)) {
          add(['resource_registry', 'resources', resource], `resource_registry entry for resource "${resource}" must be a mapping.`);
          continue;
        }
        const overrides: Record<string, string> = {};
        for (const [t, target] of Object.entries(types)) {
          // Hooks (pre-create etc.) are ignored: they only pause Heat.
          if (typeof target === 'string') overrides[t] = target;
        }
        environment.resourceOverrides[resource] = overrides;
      }
      continue;
    }
    if (typeof to !== 'string') {
      add(['resource_registry', from], `resource_registry entry "${from}" must map to a type name or a template file.`);
      continue;
    }
    if (from.endsWith('*') !== to.endsWith('*')) {
      add(['resource_registry', from], `resource_registry entry "${from}": a wildcard must map to a wildcard.`);
      continue;
    }
    environment.resourceRegistry[from] = to;
  }
  return { environment, problems };
}

/**
 * The type a resource really has after the registry's mappings, following chains
 * (`My::Server` -> `Lab::Server` -> `OS::Nova::Server`); undefined for a loop. The lab's environment
 * comes first, then Heat's default one (`OS::Ceilometer::Alarm` -> `OS::Aodh::Alarm`).
 */
export function resolveResourceType(env: HotEnvironment, resource: string, type: string): string | undefined {
  let current = type;
  const seen = new Set<string>();
  for (;;) {
    if (seen.has(current)) return undefined;
    seen.add(current);
    const overrides = own(env.resourceOverrides, resource);
    const next =
      (overrides && own(overrides, current)) ??
      own(env.resourceRegistry, current) ??
      wildcard(env.resourceRegistry, current) ??
      own(HEAT_DEFAULT_REGISTRY, current) ??
      wildcard(HEAT_DEFAULT_REGISTRY, current);
    // A mapping of a type onto itself is how environments say "use the built-in one".
    if (next === undefined || next === current) return current;
    current = next;
  }
}

function wildcard(registry: Readonly<Record<string, string>>, type: string): string | undefined {
  for (const [from, to] of Object.entries(registry)) {
    if (!from.endsWith('*')) continue;
    const prefix = from.slice(0, -1);
    if (type.startsWith(prefix)) return to.slice(0, -1) + type.slice(prefix.length);
  }
  return undefined;
}
