/**
 * Test support: fixture loading and a simulated runtime that "creates" resources in the order
 * prepareStack gives, refusing any reference to a resource not created yet, and derives attributes
 * from the resolved properties the way the real runtimes would (ports from their fixed_ips, ...).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import type { EvaluationContext, StackEvaluation } from '../../../src/templates/evaluate.ts';
import { selectPath } from '../../../src/templates/values.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/templates/', import.meta.url));

export function fixture(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}

export interface Simulation {
  ctx: EvaluationContext;
  created: string[];
  properties: Record<string, Record<string, unknown>>;
  attributes: Record<string, Record<string, unknown>>;
}

export function simulate(stack: StackEvaluation, stackName = 'stacklab-42'): Simulation {
  const created: string[] = [];
  const properties: Record<string, Record<string, unknown>> = {};
  const attributes: Record<string, Record<string, unknown>> = {};
  const ensureCreated = (name: string) => {
    if (!created.includes(name)) throw new Error(`resource ${name} referenced before it was created`);
  };
  const ctx: EvaluationContext = {
    stackName,
    stackId: 'b3f6c7e2-0000-4000-8000-000000000042',
    resourceId(name) {
      ensureCreated(name);
      return `id-${name}`;
    },
    attribute(resource, attribute, path) {
      ensureCreated(resource);
      const attrs = attributes[resource] ?? {};
      return selectPath(attrs[attribute], path, { missing: null });
    },
  };
  for (const name of stack.order) {
    for (const dep of stack.dependencies(name)) ensureCreated(dep);
    const props = stack.properties(name, ctx);
    properties[name] = props;
    attributes[name] = fakeAttributes(name, stack.resourceType(name), props);
    created.push(name);
  }
  return { ctx, created, properties, attributes };
}

function fakeAttributes(name: string, type: string, props: Record<string, unknown>): Record<string, unknown> {
  const digest = createHash('sha256').update(name).digest('hex');
  switch (type) {
    case 'OS::Nova::KeyPair':
      return { public_key: `ssh-ed25519 ${digest.slice(0, 40)} ${String(props.name)}`, private_key: `-----BEGIN OPENSSH PRIVATE KEY-----\n${digest}\n-----END OPENSSH PRIVATE KEY-----\n` };
    case 'OS::Heat::RandomString':
      return { value: digest.slice(0, Number(props.length ?? 32)) };
    case 'OS::Neutron::Port': {
      const fixed = (props.fixed_ips as { ip_address?: string; subnet?: string }[] | undefined) ?? [];
      return { fixed_ips: fixed.map((f) => ({ ip_address: f.ip_address, subnet_id: f.subnet })), name: props.name ?? name };
    }
    case 'OS::Neutron::FloatingIP':
      return { floating_ip_address: `203.0.113.${parseInt(digest.slice(0, 2), 16) % 250}` };
    case 'OS::Neutron::Net':
      return { name: props.name ?? name };
    case 'OS::Heat::Value':
      return { value: props.value };
    default:
      return {};
  }
}
