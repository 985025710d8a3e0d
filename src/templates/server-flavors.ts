/**
 * The flavor of each server a template builds, for pricing per server-hour (domain/prices.ts): every
 * `OS::Nova::Server`, its `flavor` a string or a `get_param` resolved from the lab's parameters, else the
 * parameter's default. Servers inside nested stacks or resource groups are not seen (docs/cost.md).
 */
import { parseTemplate } from './parse.ts';

/** One flavor name per server; `unknown` where the flavor cannot be told without launching. */
export function serverFlavors(templateText: string, parameters: Record<string, unknown>): string[] {
  const template = parseTemplate(templateText);
  const flavors: string[] = [];
  for (const resource of Object.values(template.resources)) {
    if (resource.type !== 'OS::Nova::Server') continue;
    flavors.push(resolveFlavor(resource.properties.flavor, parameters, (name) => template.parameters[name]?.default));
  }
  return flavors;
}

function resolveFlavor(value: unknown, given: Record<string, unknown>, defaultOf: (name: string) => unknown): string {
  if (typeof value === 'string') return value;
  const param = value && typeof value === 'object' ? (value as Record<string, unknown>).get_param : undefined;
  if (typeof param === 'string') {
    const resolved = Object.hasOwn(given, param) ? given[param] : defaultOf(param);
    if (typeof resolved === 'string') return resolved;
  }
  return 'unknown';
}
