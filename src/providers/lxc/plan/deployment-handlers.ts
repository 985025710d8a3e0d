/**
 * OS::Heat::SoftwareConfig and the deployments that run it in a server: OS::Heat::SoftwareDeployment,
 * and OS::Heat::SoftwareDeploymentGroup (alias OS::Heat::SoftwareDeployments: one deployment per
 * entry of its `servers` map). Planned with Heat's schema and defaults (heat/engine/resources/
 * openstack/heat/software_deployment.py, software_config_io.py); run by ../deployments.ts as Heat's
 * script hook runs them. Their attributes (deploy_stdout, deploy_stderr, deploy_status_code and each
 * declared output) are null until the deployment has run: the stack's outputs and other deployments
 * read them then, and anything else that reads them is refused (build-plan.ts), as the local
 * runtime builds every server before it runs a deployment.
 */
import type { DeploymentPlan } from '../plan.ts';
import { list, obj, uuidFor, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState, SoftwareConfigState } from './plan-state.ts';

/** Heat's default group, and the one config group whose hook is a plain script. */
export const UNGROUPED = 'Heat::Ungrouped';
/** Groups whose config is run as a script: `ungrouped` is how authors often spell Heat's default. */
const RUNNABLE_GROUPS = ['script', UNGROUPED, 'ungrouped'];
/** The attributes every deployment has, besides the outputs its config declares. */
export const DEPLOY_ATTRIBUTES = ['deploy_stdout', 'deploy_stderr', 'deploy_status_code'] as const;
export const DEPLOYMENT_TYPES = ['OS::Heat::SoftwareDeployment', 'OS::Heat::SoftwareDeploymentGroup', 'OS::Heat::SoftwareDeployments'];
const ACTIONS = ['CREATE', 'UPDATE', 'DELETE', 'SUSPEND', 'RESUME'];
const TRANSPORTS = ['CFN_SIGNAL', 'TEMP_URL_SIGNAL', 'HEAT_SIGNAL', 'NO_SIGNAL', 'ZAQAR_SIGNAL'];
const IO_TYPES = ['String', 'Number', 'CommaDelimitedList', 'Json', 'Boolean'];

export const planSoftwareConfig: ResourceHandler = (state, res, p) => {
  const config = state.text(res, p.config, 'config') ?? '';
  const group = state.text(res, p.group, 'group') ?? UNGROUPED;
  const io = (key: 'inputs' | 'outputs') =>
    list(p[key]).map((raw, i) => {
      const at = `${key}[${i}]`;
      const x = obj(raw);
      const name = state.text(res, x.name, `${at}.name`) ?? state.fail(res, 'needs a name', `${at}.name`);
      const type = state.text(res, x.type, `${at}.type`) ?? 'String';
      if (!IO_TYPES.includes(type)) state.fail(res, `"${type}" is not one of ${IO_TYPES.join(', ')}`, `${at}.type`);
      return { name, type, x };
    });
  const sc: SoftwareConfigState = {
    group,
    config,
    inputs: io('inputs').map(({ name, type, x }) => ({ name, type, ...(x.default !== undefined && x.default !== null ? { default: x.default } : {}) })),
    outputs: io('outputs').map(({ name, x }) => ({ name, errorOutput: x.error_output === true || String(x.error_output).toLowerCase() === 'true' })),
  };
  state.configs.set(res, config);
  state.softwareConfigs.set(res, sc);
  state.attributes[res] = { config };
};

export const planSoftwareDeployment: ResourceHandler = (state, res, p) => {
  // A ResourceGroup's member `<group>.<n>` is named `<n>` in Heat's nested stack.
  const name = Object.hasOwn(state.input.evaluation.template.resources, res) ? res : res.slice(res.lastIndexOf('.') + 1);
  planDeployment(state, res, name, p, state.text(res, p.server, 'server'), 'server', res);
};

/** OS::Heat::SoftwareDeploymentGroup / SoftwareDeployments: a deployment per `servers` entry, `<group>.<key>`. */
export const planSoftwareDeploymentGroup: ResourceHandler = (state, res, p) => {
  const servers = obj(p.servers);
  if (p.servers === undefined || typeof p.servers !== 'object' || Array.isArray(p.servers)) state.fail(res, 'servers must be a map of names to server ids', 'servers');
  const members: { key: string; member: string }[] = [];
  for (const [key, server] of Object.entries(servers)) {
    const member = `${res}.${key}`;
    state.types[member] = 'OS::Heat::SoftwareDeployment';
    state.setId(member, uuidFor(state.input.stackId, member));
    planDeployment(state, member, key, p, state.text(res, server, `servers.${key}`), `servers.${key}`, res, res);
    members.push({ key, member });
  }
  state.deploymentGroups.set(res, members);
  state.attributes[res] = {};
};

/**
 * One deployment `res` of the server `serverRef`; `blame` is the resource its refusals name (a
 * ResourceGroup member names itself, and its group says so of its definition).
 */
function planDeployment(state: PlanState, res: string, name: string, p: Props, serverRef: string | undefined, serverProperty: string, blame: string, owner = ownerOf(state, res)): void {
  // Heat allows a deployment without a config: an empty one of the default group, which runs nothing.
  const configRef = state.text(blame, p.config, 'config');
  const configRes = configRef === undefined ? undefined : state.byId.get(configRef) ?? (state.softwareConfigs.has(configRef) ? configRef : undefined);
  if (configRef !== undefined && (configRes === undefined || !state.softwareConfigs.has(configRes)))
    state.fail(blame, configRes === undefined ? `config "${configRef}" is not a config of this template` : `config ${configRes} is a ${state.types[configRes]}; the local runtime deploys OS::Heat::SoftwareConfig scripts`, 'config');
  const sc = configRes === undefined ? { group: UNGROUPED, config: '', inputs: [], outputs: [] } : state.softwareConfigs.get(configRes)!;
  if (!RUNNABLE_GROUPS.includes(sc.group))
    state.fail(blame, `config ${configRes} has group "${sc.group}": the local runtime runs configs of group script (or ${UNGROUPED} scripts), not those that need Heat's ${sc.group} hook`, 'config');
  const serverRes = state.lookup(serverRef, 'OS::Nova::Server') ?? state.fail(blame, serverRef === undefined ? 'server is required' : `server "${serverRef}" is not a server of this template`, serverProperty);
  const server = state.servers.find((s) => s.resource === serverRes) ?? state.fail(blame, `server ${serverRes} is not built by the local runtime`, serverProperty);
  // Heat refuses a deployment to a server whose user_data_format is set to anything else
  // (SoftwareDeployment.validate; src/templates/deployment-servers.ts says it for `stacklab validate`).
  // A group's members are in a nested stack, where Heat does not see the server and checks nothing.
  const format = state.input.evaluation.template.resources[serverRes]?.properties?.user_data_format;
  if (typeof format === 'string' && format !== 'SOFTWARE_CONFIG' && owner === res && state.types[res] === 'OS::Heat::SoftwareDeployment')
    state.fail(blame, `Resource ${serverRes}'s property user_data_format should be set to SOFTWARE_CONFIG since there are software deployments on it.`, serverProperty);
  const actions = p.actions === undefined ? ['CREATE', 'UPDATE'] : list(p.actions).map((a, i) => state.text(blame, a, `actions[${i}]`) ?? '');
  for (const [i, a] of actions.entries()) if (!ACTIONS.includes(a)) state.fail(blame, `"${a}" is not one of ${ACTIONS.join(', ')}`, `actions[${i}]`);
  const signalTransport = state.text(blame, p.signal_transport, 'signal_transport') ?? 'CFN_SIGNAL';
  if (!TRANSPORTS.includes(signalTransport)) state.fail(blame, `"${signalTransport}" is not one of ${TRANSPORTS.join(', ')}`, 'signal_transport');
  if (p.input_values !== undefined && (typeof p.input_values !== 'object' || Array.isArray(p.input_values))) state.fail(blame, 'input_values must be a map', 'input_values');
  const deployment: DeploymentPlan = {
    resource: res, owner, name, id: state.ids[res], server: serverRes, serverId: state.ids[serverRes], container: server.container,
    config: sc.config, declaredInputs: sc.inputs, inputs: obj(p.input_values), outputs: sc.outputs, actions, signalTransport,
    after: deploymentsBefore(state, owner),
  };
  state.deployments.push(deployment);
  state.attributes[res] = { ...Object.fromEntries([...DEPLOY_ATTRIBUTES, ...sc.outputs.map((o) => o.name)].map((a) => [a, null])), show: {} };
}

/** The template resource a planned one comes from (a ResourceGroup member `<group>.<n>` comes from its group). */
function ownerOf(state: PlanState, res: string): string {
  const resources = state.input.evaluation.template.resources;
  for (let r = res; ; r = r.slice(0, r.lastIndexOf('.'))) if (Object.hasOwn(resources, r) || !r.includes('.')) return r;
}

/** The deployment resources `owner` depends on, directly or through others (a config, a server...). */
function deploymentsBefore(state: PlanState, owner: string): string[] {
  const ev = state.input.evaluation;
  const seen = new Set<string>();
  const walk = (r: string) => {
    for (const d of ev.dependencies(r)) {
      if (seen.has(d)) continue;
      seen.add(d);
      walk(d);
    }
  };
  walk(owner);
  return [...seen].filter((r) => DEPLOYMENT_TYPES.includes(state.types[r]) || state.deployments.some((d) => d.owner === r));
}
