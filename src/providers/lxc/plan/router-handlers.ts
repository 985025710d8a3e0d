/** Routers (a network namespace each), their legs into networks, external gateways and routes. */
import { names } from '../names.ts';
import { list, obj, type Props } from '../plan-support.ts';
import { route } from './network-handlers.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState, RouterState, SubnetState } from './plan-state.ts';

function routerOf(state: PlanState, res: string, p: Props): RouterState {
  const key = p.router !== undefined ? 'router' : 'router_id';
  const ref = state.text(res, p[key], key) ?? state.fail(res, 'is required: a router of this template', 'router');
  return state.routers.get(state.lookup(ref, 'OS::Neutron::Router') ?? state.fail(res, `router "${ref}" is not a router of this template`, key))!;
}

export const planRouter: ResourceHandler = (state, res, p) => {
  const r: RouterState = { resource: res, netns: names.routerNs(state.shortId, state.routers.size), legs: [], routes: [], nat: [], external: false };
  state.routers.set(res, r);
  const gw = obj(p.external_gateway_info);
  if (gw.network !== undefined) r.external = true;
  const network = state.text(res, gw.network, 'external_gateway_info.network');
  state.attributes[res] = { name: state.text(res, p.name, 'name') ?? res, external_gateway_info: r.external ? { network_id: network } : null, show: {} };
};

export const planRouterGateway: ResourceHandler = (state, res, p) => {
  routerOf(state, res, p).external = true;
  state.attributes[res] = {};
};

export const planRouterInterface: ResourceHandler = (state, res, p) => {
  const r = routerOf(state, res, p);
  let ip: string, s: SubnetState;
  const portKey = p.port !== undefined ? 'port' : 'port_id';
  const portRef = state.text(res, p[portKey], portKey);
  const portRes = portRef === undefined ? undefined : state.lookup(portRef, 'OS::Neutron::Port') ?? state.fail(res, `port "${portRef}" is not a port of this template`, portKey);
  if (portRes) {
    const port = state.ports.get(portRes)!;
    ip = port.ip;
    s = state.subnets.get(port.subnet)!;
  } else {
    const subnetKey = p.subnet !== undefined ? 'subnet' : 'subnet_id';
    const subnetRef = state.text(res, p[subnetKey], subnetKey) ?? state.fail(res, 'needs a subnet or a port of this template', 'subnet');
    s = state.subnets.get(state.lookup(subnetRef, 'OS::Neutron::Subnet') ?? state.fail(res, `subnet "${subnetRef}" is not a subnet of this template`, subnetKey))!;
    ip = s.gateway ?? state.fail(res, `subnet ${s.resource} has no gateway_ip to give the router`, 'subnet');
  }
  const leg = r.legs.length;
  const routerIndex = [...state.routers.keys()].indexOf(r.resource);
  r.legs.push({ hostIf: names.routerLeg(state.shortId, routerIndex, leg), nsIf: `qr${leg}`, bridge: state.networks.get(s.network)!.bridge, ip, prefix: s.prefix });
  state.attributes[res] = {};
};

export const planExtraRoute: ResourceHandler = (state, res, p) => {
  const r = routerOf(state, res, p);
  r.routes.push(route(state, res, p, ''));
  state.attributes[res] = {};
};

export const planExtraRouteSet: ResourceHandler = (state, res, p) => {
  const r = routerOf(state, res, p);
  list(p.routes).forEach((x, i) => r.routes.push(route(state, res, obj(x), `routes[${i}]`)));
  state.attributes[res] = {};
};

/** Routers with an external gateway get a public address, once all are known (after every resource). */
export function connectGateways(state: PlanState): void {
  for (const [i, r] of [...state.routers.values()].entries()) {
    if (!r.external) continue;
    const ip = state.input.allocatePublicIp();
    state.publicIps.push(ip);
    r.gateway = { hostIf: names.routerGateway(state.shortId, i), nsIf: 'qg', ip };
    state.attributes[r.resource].external_gateway_info = { network_id: 'public', external_fixed_ips: [{ ip_address: ip }] };
  }
}
