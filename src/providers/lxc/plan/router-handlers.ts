/** Routers (a network namespace each), their legs into networks, external gateways and routes. */
import { names } from '../names.ts';
import { list, obj, str, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState, RouterState, SubnetState } from './plan-state.ts';

const routerOf = (state: PlanState, res: string, p: Props): RouterState =>
  state.routers.get(state.lookup(p.router ?? p.router_id, 'OS::Neutron::Router') ?? state.fail(res, 'router not found', 'router'))!;

export const planRouter: ResourceHandler = (state, res, p) => {
  const r: RouterState = { resource: res, netns: names.routerNs(state.shortId, state.routers.size), legs: [], routes: [], nat: [], external: false };
  state.routers.set(res, r);
  const gw = obj(p.external_gateway_info);
  if (gw.network !== undefined) r.external = true;
  state.attributes[res] = { name: str(p.name) ?? res, external_gateway_info: r.external ? { network_id: str(gw.network) } : null, show: {} };
};

export const planRouterGateway: ResourceHandler = (state, res, p) => {
  routerOf(state, res, p).external = true;
  state.attributes[res] = {};
};

export const planRouterInterface: ResourceHandler = (state, res, p) => {
  const r = routerOf(state, res, p);
  let ip: string, s: SubnetState;
  const portRes = state.lookup(p.port ?? p.port_id, 'OS::Neutron::Port');
  if (portRes) {
    const port = state.ports.get(portRes)!;
    ip = port.ip;
    s = state.subnets.get(port.subnet)!;
  } else {
    s = state.subnets.get(state.lookup(p.subnet ?? p.subnet_id, 'OS::Neutron::Subnet') ?? state.fail(res, 'needs a subnet or a port of this template', 'subnet'))!;
    ip = s.gateway ?? state.fail(res, `subnet ${s.resource} has no gateway_ip to give the router`, 'subnet');
  }
  const leg = r.legs.length;
  const routerIndex = [...state.routers.keys()].indexOf(r.resource);
  r.legs.push({ hostIf: names.routerLeg(state.shortId, routerIndex, leg), nsIf: `qr${leg}`, bridge: state.networks.get(s.network)!.bridge, ip, prefix: s.prefix });
  state.attributes[res] = {};
};

const addRoutes = (state: PlanState, res: string, p: Props, routes: Props[]) => {
  const r = routerOf(state, res, p);
  for (const x of routes) r.routes.push({ destination: String(x.destination), nexthop: String(x.nexthop) });
  state.attributes[res] = {};
};

export const planExtraRoute: ResourceHandler = (state, res, p) => addRoutes(state, res, p, [p]);
export const planExtraRouteSet: ResourceHandler = (state, res, p) => addRoutes(state, res, p, list(p.routes).map(obj));

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
