/**
 * Each resource's properties against its type's schema: Heat's own schema for a plugin type, the
 * nested template's parameters for a template type (`type: ./secret.yaml`; Heat turns those
 * parameters into the resource's properties, required when they have no default). A type whose
 * schema stacklab does not know is accepted with a note saying its properties were not checked.
 */
import type { HotParameter, HotTemplate } from './parse.ts';
import { readTemplate } from './parse.ts';
import { checkProperties, propertiesSchemaOf, type PropertySchema } from './property-schemas.ts';
import { isTemplateResourceType } from './resource-types.ts';
import { isPlainObject, type PathPart } from './yaml-source.ts';

export interface PropertyReports {
  problem(path: PathPart[], message: string): void;
  note(path: PathPart[], message: string): void;
}

export function checkResourceProperties(template: HotTemplate, types: Record<string, string>, files: Record<string, string>, report: PropertyReports): void {
  for (const [name, resource] of Object.entries(template.resources)) {
    const type = types[name];
    if (type === undefined) continue;
    const schema = propertiesSchemaOf(type) ?? (isTemplateResourceType(type) ? nestedSchema(files[type]) : undefined);
    const at: PathPart[] = ['resources', name, 'properties'];
    if (!schema) {
      // A template type that is missing is reported where types are checked.
      if (!isTemplateResourceType(type)) report.note(['resources', name, 'type'], `no property schema is known for ${type}: its properties are left to Heat`);
      continue;
    }
    if (!isPlainObject(resource.properties)) continue;
    checkProperties(resource.properties, schema, at, template.version, report.problem);
    if (type === 'OS::Heat::ResourceGroup') checkMember(resource.properties.resource_def, [...at, 'resource_def'], template.version, report);
  }
}

/** A ResourceGroup's member definition, checked as Heat checks it (it validates one member). */
function checkMember(def: unknown, at: PathPart[], version: string, report: PropertyReports): void {
  if (!isPlainObject(def) || typeof def.type !== 'string' || !isPlainObject(def.properties)) return;
  const schema = propertiesSchemaOf(def.type);
  if (schema) checkProperties(def.properties, schema, [...at, 'properties'], version, report.problem);
}

const PARAMETER_TYPES: Record<HotParameter['type'], PropertySchema['type']> = {
  string: 'String',
  number: 'Number',
  boolean: 'Boolean',
  // Heat takes a list or a comma-separated string for these, and any JSON for `json`.
  comma_delimited_list: 'Any',
  json: 'Any',
};

/** The properties a nested template takes: its parameters. Undefined when it cannot be read (reported elsewhere). */
function nestedSchema(text: string | undefined): Record<string, PropertySchema> | undefined {
  if (text === undefined) return undefined;
  const { template } = readTemplate(text);
  if (!template) return undefined;
  const schema: Record<string, PropertySchema> = {};
  for (const [name, p] of Object.entries(template.parameters)) {
    schema[name] = { type: PARAMETER_TYPES[p.type] ?? 'Any', ...(p.default === undefined ? { required: true as const } : {}) };
  }
  return schema;
}
