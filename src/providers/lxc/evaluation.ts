/**
 * The shape of an evaluated template, as src/templates/evaluate.ts exports it. Declared here
 * structurally so the runtime depends on the contract, not on the file layout of templates/.
 */
export interface EvaluationContext {
  stackName: string;
  stackId: string;
  resourceId(name: string): string;
  attribute(resource: string, attribute: string, path: (string | number)[]): unknown;
}

export interface TemplateResource {
  type: string;
  properties?: Record<string, unknown>;
  dependsOn?: string[];
}

export interface StackEvaluation {
  parameters: Record<string, unknown>;
  order: string[];
  dependencies(resource: string): string[];
  properties(resource: string, ctx: EvaluationContext): Record<string, unknown>;
  outputs(ctx: EvaluationContext): Record<string, unknown>;
  /** The type after the environment's resource_registry (what Heat would build). */
  resourceType(resource: string): string;
  /** A type named inside a resource (a group's `resource_def`) after the registry; undefined for a loop. */
  mappedType(type: string): string | undefined;
  template: { resources: Record<string, TemplateResource> };
}

export interface Problem {
  file?: string;
  line?: number;
  resource?: string;
  property?: string;
  message: string;
}

export type PrepareStack = (
  text: string,
  opts: { file?: string; environment?: string; parameters: Record<string, unknown> },
) => StackEvaluation;
