/**
 * Turns an evaluated HOT template into a `StackPlan`: walks the resources in dependency order and
 * hands each to the handler of its type (plan/handlers.ts), which gives it the attributes later
 * resources and the outputs ask for, assigns addresses deterministically, and refuses what the
 * runtime cannot build with the resource, the property and why.
 * Pure apart from key generation and the public-address allocator it is given.
 */
import type { EvaluationContext, Problem } from './evaluation.ts';
import type { DeploymentPlan, StackPlan } from './plan.ts';
import { DEPLOYMENT_TYPES } from './plan/deployment-handlers.ts';
import { bindFloatingIps } from './plan/floating-ip-handlers.ts';
import { HANDLERS } from './plan/handlers.ts';
import { PlanState, type FixedAddresses, type PlanInput } from './plan/plan-state.ts';
import { connectGateways } from './plan/router-handlers.ts';
import { bindSecurityGroups } from './plan/security-group-handlers.ts';
import { obj, PlanError, SUPPORTED_TYPES, uuidFor, type Props } from './plan-support.ts';

export { PlanError, SUPPORTED_TYPES } from './plan-support.ts';
export type { PlanInput } from './plan/plan-state.ts';

/** What each deployment that ran gave back (deploy_stdout... and its outputs), by deployment resource. */
export type DeploymentResults = Record<string, Record<string, unknown>>;

export interface PlanResult {
  plan: StackPlan;
  /** The stack's outputs, once the wait conditions have their data and the deployments have run. */
  outputs(waitData: Record<string, Record<string, unknown>>, deployments?: DeploymentResults): Record<string, unknown>;
  /**
   * A deployment's input values, resolved again now that the deployments it follows have run (a
   * deployment's input may be another's output, unknown when the stack was planned).
   */
  deploymentInputs(deployment: DeploymentPlan, results: DeploymentResults): Record<string, unknown>;
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
  const withResults = (results: DeploymentResults) => {
    state.deploymentResults.clear();
    for (const [r, v] of Object.entries(results)) state.deploymentResults.set(r, v);
  };
  const deploymentInputs = (d: DeploymentPlan, results: DeploymentResults) => {
    // A ResourceGroup's member keeps its planned inputs: its group's definition is not its own.
    if (!d.after.length || !DEPLOYMENT_TYPES.includes(state.types[d.owner])) return d.inputs;
    withResults(results);
    return obj(resolvedProperties(d.owner, ctx, ev.properties).input_values);
  };
  const outputs = (waitData: Record<string, Record<string, unknown>>, deployments: DeploymentResults = {}) => {
    withResults(deployments);
    return ev.outputs({
      ...ctx,
      attribute: (resource, attribute, path) => {
        if (state.types[resource] === 'OS::Heat::WaitCondition' && attribute === 'data') {
          const d = JSON.stringify(waitData[resource] ?? {});
          return path.length ? null : d;
        }
        return ctx.attribute(resource, attribute, path);
      },
    });
  };
  return { plan: planOf(state), outputs, deploymentInputs, fixed: state.fixed };
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
    const properties = resolvedProperties(res, beforeDeployments(state, res, ctx), ev.properties);
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

/**
 * `ctx` for a resource built before any deployment runs (all but deployments: servers are built
 * first, then the deployments run in them): reading a deployment's attributes, which exist only once
 * it has run, is refused with why. Stack outputs and other deployments read them after the run.
 */
function beforeDeployments(state: PlanState, res: string, ctx: EvaluationContext): EvaluationContext {
  if (DEPLOYMENT_TYPES.includes(state.types[res])) return ctx;
  return {
    ...ctx,
    attribute: (resource, attribute, path) => {
      if (DEPLOYMENT_TYPES.includes(state.types[resource]))
        // A plain error: the evaluator places it (resource, property, line) like its own.
        throw new Error(`reads ${attribute} of software deployment ${resource}, which the local runtime knows only after the deployment has run (it builds every server first, then runs the deployments); only stack outputs and other deployments can read it`);
      return ctx.attribute(resource, attribute, path);
    },
  };
}

/**
 * Records every resource's type, as the environment's resource_registry maps it (what Heat builds:
 * `My::Net: OS::Neutron::Net` makes a network); those the runtime has no handler for are refused here,
 * all at once, by the type the template wrote and the one it maps to.
 */
function recordTypes(state: PlanState): Set<string> {
  const unsupported = new Set<string>();
  const { evaluation } = state.input;
  for (const [name, r] of Object.entries(evaluation.template.resources)) {
    const type = evaluation.resourceType(name);
    state.types[name] = type;
    if ((SUPPORTED_TYPES as readonly string[]).includes(type)) continue;
    unsupported.add(name);
    const named = type === r.type ? `type ${type}` : `type ${r.type} (mapped to ${type} by the environment)`;
    state.problems.push({ resource: name, property: 'type', message: `${named} is not supported by the local runtime (lxc); supported: ${SUPPORTED_TYPES.join(', ')}` });
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
    // A volume made from an image is a server's boot disk: that server runs on the image, nothing is made for it.
    volumes: [...state.volumes.values()].filter((v) => v.image === undefined).map(({ resource, dir, sizeGb }) => ({ resource, dir, sizeGb })),
    deployments: state.deployments,
    publicIps: state.publicIps,
    attributes: state.attributes,
    resourceIds: state.ids,
    notes: state.notes,
    ...(state.security ? { security: state.security } : {}),
    ...(state.external ? { external: state.external } : {}),
  };
}
