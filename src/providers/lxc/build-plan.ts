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
import { bindSecurityGroups } from './plan/security-group-handlers.ts';
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
  const unsupported = recordTypes(state);
  const ctx = state.evaluationContext();
  for (const res of ev.order) {
    state.setId(res, uuidFor(input.stackId, res));
    if (unsupported.has(res)) {
      state.unbuilt.add(res);
      continue;
    }
    planResource(state, res, ctx);
  }
  state.attempt(() => bindFloatingIps(state), undefined);
  state.attempt(() => connectGateways(state), undefined);
  bindSecurityGroups(state);
  // Every part the runtime cannot run is listed at once (validate shows them all), not only the first.
  if (state.problems.length) throw new PlanError(state.problems);
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

/**
 * Plans one resource, its refusals collected in `state.problems`. A resource that needs one the
 * runtime refused is still planned, so its own problems show too; what it says only because the other
 * is missing (a lookup of that resource that fails, or a crash on its missing state) is dropped.
 */
function planResource(state: PlanState, res: string, ctx: EvaluationContext): void {
  const ev = state.input.evaluation;
  const missing = ev.dependencies(res).filter((d) => state.unbuilt.has(d));
  const before = state.problems.length;
  try {
    const properties = resolvedProperties(res, ctx, ev.properties);
    HANDLERS[state.types[res] as keyof typeof HANDLERS](state, res, properties);
  } catch (err) {
    if (err instanceof PlanError) state.problems.push(...err.problems);
    else if (!missing.length) throw err;
    else state.problems.push({ resource: res, message: CASCADE });
  }
  if (state.problems.length === before) return;
  state.unbuilt.add(res);
  if (!missing.length) return;
  const culprits = missing.flatMap((d) => [d, state.ids[d]]);
  const own = state.problems.slice(before).filter((p) => p.message !== CASCADE && !culprits.some((c) => p.message.includes(c)));
  state.problems.splice(before, Infinity, ...own);
}

const CASCADE = 'cascade';

/** Records every resource's type; those the runtime has no handler for are refused here, all at once. */
function recordTypes(state: PlanState): Set<string> {
  const unsupported = new Set<string>();
  for (const [name, r] of Object.entries(state.input.evaluation.template.resources)) {
    state.types[name] = r.type;
    if ((SUPPORTED_TYPES as readonly string[]).includes(r.type)) continue;
    unsupported.add(name);
    state.problems.push({ resource: name, property: 'type', message: `type ${r.type} is not supported by the local runtime (lxc); supported: ${SUPPORTED_TYPES.join(', ')}` });
  }
  return unsupported;
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
    ...(state.security ? { security: state.security } : {}),
    ...(state.external ? { external: state.external } : {}),
  };
}
