/** Floating IPs: a public address each, NATed by the router that joins the port's network to the outside. */
import { contains } from '../ipv4.ts';
import { str } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState } from './plan-state.ts';

export const planFloatingIp: ResourceHandler = (state, res, p) => {
  const ip = state.input.allocatePublicIp();
  state.publicIps.push(ip);
  const portRes = state.lookup(p.port_id ?? p.port, 'OS::Neutron::Port');
  state.floatingIps.push({ resource: res, ip, port: portRes, fixed: str(p.fixed_ip_address) });
  state.attributes[res] = {
    floating_ip_address: ip, fixed_ip_address: portRes ? state.ports.get(portRes)!.ip : null, port_id: portRes ? state.ids[portRes] : null,
    floating_network_id: str(p.floating_network), show: {},
  };
};

export const planFloatingIpAssociation: ResourceHandler = (state, res, p) => {
  const fipRes = state.byId.get(str(p.floatingip_id) ?? '') ?? state.fail(res, 'floatingip_id is not a floating IP of this template', 'floatingip_id');
  const portRes = state.lookup(p.port_id, 'OS::Neutron::Port') ?? state.fail(res, 'port_id is not a port of this template', 'port_id');
  const f = state.floatingIps.find((x) => x.resource === fipRes)!;
  f.port = portRes;
  f.fixed = str(p.fixed_ip_address);
  state.attributes[fipRes].fixed_ip_address = state.ports.get(portRes)!.ip;
  state.attributes[res] = {};
};

/** Floating IPs are bound once every router interface exists: Heat templates need not order them. */
export function bindFloatingIps(state: PlanState): void {
  const routers = [...state.routers.values()];
  for (const f of state.floatingIps) {
    if (!f.port) continue;
    const port = state.ports.get(f.port)!;
    const s = state.subnets.get(port.subnet)!;
    const r = routers.find((x) => x.external && x.legs.some((l) => contains(s.range, l.ip)));
    if (!r) state.fail(f.resource, `the network of port ${f.port} is not joined (RouterInterface) to a router with an external gateway`);
    r!.nat.push({ floating: f.ip, fixed: f.fixed ?? port.ip });
  }
}
