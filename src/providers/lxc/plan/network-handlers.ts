/** Networks, subnets and ports: bridges, address ranges, and addresses handed out in order. */
import { contains, intToIp, ipToInt, overlaps, parseCidr, type Cidr } from '../ipv4.ts';
import { names } from '../names.ts';
import { list, obj, str } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';

export const planNet: ResourceHandler = (state, res, p) => {
  const name = str(p.name) ?? `${state.input.stackName}-${res}`;
  state.networks.set(res, { name, bridge: names.bridge(state.shortId, state.networks.size), subnets: [] });
  state.attributes[res] = { name, status: 'ACTIVE', subnets: [], admin_state_up: true, show: { name, id: state.ids[res] } };
};

export const planSubnet: ResourceHandler = (state, res, p) => {
  const netRes = state.lookup(p.network ?? p.network_id, 'OS::Neutron::Net') ?? state.fail(res, `network "${str(p.network)}" is not a network of this template`, 'network');
  if (p.ip_version !== undefined && Number(p.ip_version) !== 4) state.fail(res, 'only IPv4 subnets are supported by the local runtime', 'ip_version');
  let range: Cidr;
  try {
    range = parseCidr(str(p.cidr) ?? state.fail(res, 'cidr is required', 'cidr'));
  } catch (err) {
    return state.fail(res, (err as Error).message, 'cidr');
  }
  for (const other of state.subnets.values()) if (overlaps(other.range, range)) state.fail(res, `cidr ${range.text} overlaps subnet ${other.resource} (${other.cidr})`, 'cidr');
  const gateway = p.gateway_ip === null ? undefined : str(p.gateway_ip) ?? intToIp(range.first);
  if (gateway && !contains(range, gateway)) state.fail(res, `gateway_ip ${gateway} is not in ${range.text}`, 'gateway_ip');
  const pools: [number, number][] = list(p.allocation_pools).map((x) => [ipToInt(String(obj(x).start)), ipToInt(String(obj(x).end))]);
  if (!pools.length) pools.push([range.first, range.last]);
  const used = new Map<number, string>();
  if (gateway) used.set(ipToInt(gateway), `${res} gateway`);
  const hostRoutes = list(p.host_routes).map((x) => ({ destination: String(obj(x).destination), nexthop: String(obj(x).nexthop) }));
  state.subnets.set(res, { resource: res, network: netRes, cidr: range.text, prefix: range.prefix, gateway, hostRoutes, dns: list(p.dns_nameservers).map(String), range, pools, used });
  state.networks.get(netRes)!.subnets.push(res);
  (state.attributes[netRes].subnets as string[]).push(state.ids[res]);
  state.attributes[res] = {
    cidr: range.text, gateway_ip: gateway ?? null, network_id: state.ids[netRes], name: str(p.name) ?? res,
    allocation_pools: pools.map(([a, b]) => ({ start: intToIp(a), end: intToIp(b) })), show: {},
  };
};

export const planPort: ResourceHandler = (state, res, p) => {
  const netRes = state.lookup(p.network ?? p.network_id, 'OS::Neutron::Net') ?? state.fail(res, `network "${str(p.network)}" is not a network of this template`, 'network');
  const want = obj(list(p.fixed_ips)[0]);
  const subnetRes = want.subnet ?? want.subnet_id ? state.lookup(want.subnet ?? want.subnet_id, 'OS::Neutron::Subnet') : undefined;
  const port = state.portOn(res, netRes, subnetRes, str(want.ip_address));
  if (p.mac_address) port.mac = String(p.mac_address);
  state.ports.set(res, port);
  state.attributes[res] = { fixed_ips: [{ ip_address: port.ip, subnet_id: state.ids[port.subnet] }], mac_address: port.mac, name: str(p.name) ?? res, network_id: state.ids[netRes], show: {} };
};
