/**
 * Turns an evaluated HOT template into a `StackPlan`: walks the resources in dependency order and
 * hands each to the handler of its type (plan/handlers.ts), which gives it the attributes later
 * resources and the outputs ask for, assigns addresses deterministically, and refuses what the
 * runtime cannot build with the resource, the property and why.
 * Pure apart from key generation and the public-address allocator it is given.
 */
import type { EvaluationContext, Problem } from './evaluation.ts';
import type { StackPlan } from './plan.ts';
import { bindFloatingIps } from './plan/floating-ip-handlers.ts';
import { HANDLERS } from './plan/handlers.ts';
import { PlanState, type FixedAddresses, type PlanInput } from './plan/plan-state.ts';
import { connectGateways } from './plan/router-handlers.ts';
import { PlanError, SUPPORTED_TYPES, uuidFor, type Props } from './plan-support.ts';

export { PlanError, SUPPORTED_TYPES } from './plan-support.ts';
export type { PlanInput } from './plan/plan-state.ts';

export interface PlanResult {
  plan: StackPlan;
  outputs(waitData: Record<string, Record<string, unknown>>): Record<string, unknown>;
}

export function buildPlan(input: PlanInput): PlanResult {
  // Pass one learns which addresses the template fixes explicitly, pass two reserves them
  // before handing out automatic ones, so declaration order never causes a collision.
  const first = planPass({ ...input, allocatePublicIp: () => '0.0.0.0' }, new Map(), true);
  return planPass(input, first.fixed, input.dryRun ?? false);
}

function planPass(input: PlanInput, reserved: FixedAddresses, dry: boolean): PlanResult & { fixed: FixedAddresses } {
  const ev = input.evaluation;
  const state = new PlanState(input, reserved, dry);
  refuseUnsupportedTypes(state);
  const ctx = state.evaluationContext();
  for (const res of ev.order) {
    const properties = resolvedProperties(res, ctx, ev.properties);
    state.setId(res, uuidFor(input.stackId, res));
    HANDLERS[state.types[res] as keyof typeof HANDLERS](state, res, properties);
  }
  bindFloatingIps(state);
  connectGateways(state);
  const outputs = (waitData: Record<string, Record<string, unknown>>) =>
    ev.outputs({
      ...ctx,
      attribute: (resource, attribute, path) => {
        if (state.types[resource] === 'OS::Heat::WaitCondition' && attribute === 'data') {
          const d = JSON.stringify(waitData[resource] ?? {});
          return path.length ? null : d;
        }
        return ctx.attribute(resource, attribute, path);
      },
    });
  return { plan: planOf(state), outputs, fixed: state.fixed };
}

function refuseUnsupportedTypes(state: PlanState): void {
  const problems: Problem[] = [];
  for (const [name, r] of Object.entries(state.input.evaluation.template.resources)) {
    state.types[name] = r.type;
    if (!(SUPPORTED_TYPES as readonly string[]).includes(r.type))
      problems.push({ resource: name, property: 'type', message: `type ${r.type} is not supported by the local runtime (lxc); supported: ${SUPPORTED_TYPES.join(', ')}` });
  }
  if (problems.length) throw new PlanError(problems);
}

/** A resource's properties, evaluation failures turned into the planner's refusal. */
function resolvedProperties(res: string, ctx: EvaluationContext, properties: (res: string, ctx: EvaluationContext) => Props): Props {
  try {
    return properties(res, ctx);
  } catch (err) {
    if (err instanceof PlanError) throw err;
    const probs = (err as { problems?: Problem[] }).problems;
    throw new PlanError(probs ?? [{ resource: res, message: (err as Error).message }], { cause: err });
  }
}

function planOf(state: PlanState): StackPlan {
  return {
    shortId: state.shortId,
    networks: [...state.networks].map(([resource, n]) => ({ resource, name: n.name, bridge: n.bridge })),
    subnets: [...state.subnets.values()].map(({ resource, network, cidr, prefix, gateway, hostRoutes, dns }) => ({ resource, network, cidr, prefix, gateway, hostRoutes, dns })),
    routers: [...state.routers.values()].map(({ external: _e, ...r }) => r),
    servers: state.servers,
    waitConditions: state.waitConditions,
    publicIps: state.publicIps,
    attributes: state.attributes,
    resourceIds: state.ids,
    notes: state.notes,
  };
}
