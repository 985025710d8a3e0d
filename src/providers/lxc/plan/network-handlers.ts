/** Networks, subnets and ports: bridges, address ranges, and addresses handed out in order. */
import { contains, intToIp, ipToInt, overlaps, parseCidr, type Cidr } from '../ipv4.ts';
import { names } from '../names.ts';
import type { RoutePlan } from '../plan.ts';
import { list, obj, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import { isCidr, type PlanState } from './plan-state.ts';
import { groupRefs } from './security-group-handlers.ts';

export const planNet: ResourceHandler = (state, res, p) => {
  const name = state.text(res, p.name, 'name') ?? `${state.input.stackName}-${res}`;
  state.networks.set(res, { name, bridge: names.bridge(state.shortId, state.networks.size), subnets: [], portSecurity: flag(p.port_security_enabled) ?? true });
  state.attributes[res] = { name, status: 'ACTIVE', subnets: [], admin_state_up: true, show: { name, id: state.ids[res] } };
};

export const planSubnet: ResourceHandler = (state, res, p) => {
  const netRes = networkOf(state, res, p);
  if (p.ip_version !== undefined && Number(p.ip_version) !== 4) state.fail(res, 'only IPv4 subnets are supported by the local runtime', 'ip_version');
  const cidr = state.text(res, p.cidr, 'cidr') ?? state.fail(res, 'cidr is required', 'cidr');
  let range: Cidr;
  try {
    range = parseCidr(cidr);
  } catch (err) {
    return state.fail(res, (err as Error).message, 'cidr');
  }
  for (const other of state.subnets.values()) if (overlaps(other.range, range)) state.fail(res, `cidr ${range.text} overlaps subnet ${other.resource} (${other.cidr})`, 'cidr');
  const gateway = p.gateway_ip === null ? undefined : state.address(res, p.gateway_ip, 'gateway_ip') ?? intToIp(range.first);
  if (gateway && !contains(range, gateway)) state.fail(res, `gateway_ip ${gateway} is not in ${range.text}`, 'gateway_ip');
  const pools: [number, number][] = list(p.allocation_pools).map((x, i) => {
    const at = `allocation_pools[${i}]`;
    const [start, end] = (['start', 'end'] as const).map((k) => ipToInt(state.address(res, obj(x)[k], `${at}.${k}`) ?? state.fail(res, `${k} is required`, `${at}.${k}`)));
    if (!contains(range, start) || !contains(range, end) || start > end) state.fail(res, `the pool ${intToIp(start)}-${intToIp(end)} is not a range inside ${range.text}`, at);
    return [start, end];
  });
  if (!pools.length) pools.push([range.first, range.last]);
  const used = new Map<number, string>();
  if (gateway) used.set(ipToInt(gateway), `${res} gateway`);
  const hostRoutes = list(p.host_routes).map((x, i) => route(state, res, obj(x), `host_routes[${i}]`));
  const dns = list(p.dns_nameservers).map((x, i) => state.address(res, x, `dns_nameservers[${i}]`) ?? state.fail(res, 'must be an IPv4 address', `dns_nameservers[${i}]`));
  state.subnets.set(res, { resource: res, network: netRes, cidr: range.text, prefix: range.prefix, gateway, hostRoutes, dns, range, pools, used });
  state.networks.get(netRes)!.subnets.push(res);
  (state.attributes[netRes].subnets as string[]).push(state.ids[res]);
  state.attributes[res] = {
    cidr: range.text, gateway_ip: gateway ?? null, network_id: state.ids[netRes], name: state.text(res, p.name, 'name') ?? res,
    allocation_pools: pools.map(([a, b]) => ({ start: intToIp(a), end: intToIp(b) })), show: {},
  };
};

export const planPort: ResourceHandler = (state, res, p) => {
  const netRes = networkOf(state, res, p);
  const want = obj(list(p.fixed_ips)[0]);
  const subnetKey = want.subnet !== undefined ? 'subnet' : 'subnet_id';
  const subnetRef = state.text(res, want[subnetKey], `fixed_ips[0].${subnetKey}`);
  const subnetRes = subnetRef ? state.lookup(subnetRef, 'OS::Neutron::Subnet') ?? state.fail(res, `subnet "${subnetRef}" is not a subnet of this template`, `fixed_ips[0].${subnetKey}`) : undefined;
  const port = state.portOn(res, netRes, subnetRes, state.address(res, want.ip_address, 'fixed_ips[0].ip_address'), 'fixed_ips');
  const mac = state.text(res, p.mac_address, 'mac_address');
  if (mac) port.mac = MAC.test(mac) ? mac.toLowerCase() : state.fail(res, `"${mac}" is not a MAC address (like 02:00:00:00:00:01)`, 'mac_address');
  const portSecurity = flag(p.port_security_enabled) ?? state.networks.get(netRes)!.portSecurity;
  const refs = groupRefs(state, res, p.security_groups, 'security_groups');
  if (!portSecurity && refs?.length) state.fail(res, 'a port with port_security_enabled false cannot have security_groups (Neutron refuses it)', 'security_groups');
  port.securityRefs = portSecurity ? refs : null;
  port.allowedAddresses = list(p.allowed_address_pairs).map((x, i) => state.text(res, obj(x).ip_address, `allowed_address_pairs[${i}].ip_address`) ?? state.fail(res, 'ip_address is required', `allowed_address_pairs[${i}].ip_address`));
  for (const [i, a] of port.allowedAddresses.entries()) if (!isCidr(a) && !isCidr(`${a}/32`)) state.fail(res, `"${a}" is not an IPv4 address or network`, `allowed_address_pairs[${i}].ip_address`);
  state.ports.set(res, port);
  state.attributes[res] = { fixed_ips: [{ ip_address: port.ip, subnet_id: state.ids[port.subnet] }], mac_address: port.mac, name: state.text(res, p.name, 'name') ?? res, network_id: state.ids[netRes], show: {} };
};

/** A Heat boolean (true, false, or their strings as parameters give them); undefined when unset. */
function flag(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return !(value === false || ['false', 'no', 'off', '0'].includes(String(value).toLowerCase()));
}

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;

/** The network a subnet or port is on (`network`, or the older `network_id`). */
function networkOf(state: PlanState, res: string, p: Props): string {
  const key = p.network !== undefined ? 'network' : 'network_id';
  const ref = state.text(res, p[key], key) ?? state.fail(res, 'is required: the network of this template it is on', 'network');
  return state.lookup(ref, 'OS::Neutron::Net') ?? state.fail(res, `network "${ref}" is not a network of this template`, key);
}

/** A route: destination CIDR and next hop address, both checked. */
export function route(state: PlanState, res: string, x: Props, at: string): RoutePlan {
  const key = (k: string) => (at ? `${at}.${k}` : k);
  const destination = state.text(res, x.destination, key('destination')) ?? state.fail(res, 'destination is required', key('destination'));
  if (!isCidr(destination)) state.fail(res, `"${destination}" is not an IPv4 CIDR (like 10.0.3.0/24)`, key('destination'));
  const nexthop = state.address(res, x.nexthop, key('nexthop')) ?? state.fail(res, 'nexthop is required', key('nexthop'));
  return { destination, nexthop };
}
