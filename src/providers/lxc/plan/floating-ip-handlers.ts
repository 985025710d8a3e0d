/** Floating IPs: a public address each, NATed by the router that joins the port's network to the outside. */
import { contains } from '../ipv4.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState } from './plan-state.ts';

export const planFloatingIp: ResourceHandler = (state, res, p) => {
  const ip = state.input.allocatePublicIp();
  state.publicIps.push(ip);
  const portKey = p.port_id !== undefined ? 'port_id' : 'port';
  const portRef = state.text(res, p[portKey], portKey);
  const portRes = portRef === undefined ? undefined : state.lookup(portRef, 'OS::Neutron::Port') ?? state.fail(res, `port "${portRef}" is not a port of this template`, portKey);
  state.floatingIps.push({ resource: res, ip, port: portRes, fixed: state.address(res, p.fixed_ip_address, 'fixed_ip_address'), boundBy: { resource: res, property: portKey } });
  state.attributes[res] = {
    floating_ip_address: ip, fixed_ip_address: portRes ? state.ports.get(portRes)!.ip : null, port_id: portRes ? state.ids[portRes] : null,
    floating_network_id: state.text(res, p.floating_network, 'floating_network'), show: {},
  };
};

export const planFloatingIpAssociation: ResourceHandler = (state, res, p) => {
  const fipId = state.text(res, p.floatingip_id, 'floatingip_id') ?? '';
  const f = state.floatingIps.find((x) => x.resource === state.byId.get(fipId)) ?? state.fail(res, 'floatingip_id is not a floating IP of this template', 'floatingip_id');
  const fipRes = f.resource;
  const portRes = state.lookup(state.text(res, p.port_id, 'port_id'), 'OS::Neutron::Port') ?? state.fail(res, 'port_id is not a port of this template', 'port_id');
  f.port = portRes;
  f.fixed = state.address(res, p.fixed_ip_address, 'fixed_ip_address');
  f.boundBy = { resource: res, property: 'port_id' };
  state.attributes[fipRes].fixed_ip_address = state.ports.get(portRes)!.ip;
  state.attributes[res] = {};
};

/** Floating IPs are bound once every router interface exists: Heat templates need not order them. */
export function bindFloatingIps(state: PlanState): void {
  const routers = [...state.routers.values()];
  for (const f of state.floatingIps) {
    // One refused already (or its port, or its association) has its refusal listed; it binds nothing.
    if (!f.port || [f.resource, f.port, f.boundBy.resource].some((r) => state.unbuilt.has(r))) continue;
    const port = state.ports.get(f.port)!;
    const s = state.subnets.get(port.subnet)!;
    const r = routers.find((x) => x.external && x.legs.some((l) => contains(s.range, l.ip)));
    if (!r) state.fail(f.boundBy.resource, `the network of port ${f.port} is not joined (RouterInterface) to a router with an external gateway`, f.boundBy.property);
    r!.nat.push({ floating: f.ip, fixed: f.fixed ?? port.ip });
  }
}
