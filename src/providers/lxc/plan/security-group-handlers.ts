/**
 * Security groups as Neutron applies them, planned: OS::Neutron::SecurityGroup (its `rules`),
 * OS::Neutron::SecurityGroupRule, and the groups each NIC is in (a port's `security_groups` and
 * `port_security_enabled`, a network's `port_security_enabled`, a server's `security_groups` for the
 * NICs it makes itself). Groups are named by id or name, possibly before they are declared (Heat
 * makes no dependency for a name), so references are kept as written and bound once every resource
 * is planned (`bindSecurityGroups`). The nftables rules are made from the result (security-groups.ts).
 */
import { ipToInt, intToIp } from '../ipv4.ts';
import { names, conntrackZone } from '../names.ts';
import type { NicPlan, SecurityGroupPlan, SecurityRulePlan } from '../plan.ts';
import { list, obj, type Props } from '../plan-support.ts';
import type { ResourceHandler } from './handler.ts';
import type { PlanState } from './plan-state.ts';

/** A rule as planned, its remote group still a reference; `self` is the group the rule belongs to. */
export interface PendingRule extends Omit<SecurityRulePlan, 'remoteGroup'> {
  remoteGroupRef?: string | { self: true };
  /** Where it was written, for the refusal of an unknown remote group. */
  resource: string;
  property: string;
}

export interface GroupState {
  name: string;
  rules: PendingRule[];
}

/** A NIC and the groups it asks for (null: port security off). */
export interface NicSecurity {
  nic: NicPlan;
  /** The port or server that asks, for the log. */
  owner: string;
  refs: string[] | null;
}

/** NICs one stack may filter: the packet mark has 12 bits for each end (security-groups.ts). */
export const MAX_FILTERED_NICS = 0xfff;

/** Neutron's protocol names (neutron_lib.constants.IP_PROTOCOL_MAP, the IPv4 ones). */
const PROTOCOLS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, icmp: 1, igmp: 2, ipip: 4, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
/** Protocols whose rules have port ranges (the others' ranges are refused by Neutron). */
export const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
export const ICMP = 1;

export const planSecurityGroup: ResourceHandler = (state, res, p) => {
  const name = state.text(res, p.name, 'name') ?? res;
  const rules: PendingRule[] = [];
  for (const [i, raw] of list(p.rules).entries()) {
    const at = `rules[${i}]`;
    const r = obj(raw);
    // Each rule checked on its own, so validate lists every wrong one.
    const rule = state.attempt(() => {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) state.fail(res, 'each rule must be a map (direction, protocol, port_range_min...)', at);
      const mode = state.text(res, r.remote_mode, `${at}.remote_mode`) ?? 'remote_ip_prefix';
      if (mode !== 'remote_ip_prefix' && mode !== 'remote_group_id') state.fail(res, `remote_mode must be remote_ip_prefix or remote_group_id, not "${mode}"`, `${at}.remote_mode`);
      const groupRef = state.text(res, r.remote_group_id, `${at}.remote_group_id`);
      // Heat: remote_group_id mode without a group means the group itself.
      const remote = mode === 'remote_group_id' ? groupRef ?? { self: true as const } : undefined;
      return parseRule(state, res, r, at, remote, mode === 'remote_ip_prefix' ? 'remote_ip_prefix' : undefined);
    }, undefined);
    if (rule) rules.push(rule);
  }
  state.securityGroups.set(res, { name, rules });
  state.attributes[res] = { name, rules: p.rules ?? [], show: { name, id: state.ids[res] } };
};

export const planSecurityGroupRule: ResourceHandler = (state, res, p) => {
  const group = state.text(res, p.security_group, 'security_group') ?? state.fail(res, 'security_group is required', 'security_group');
  if (p.remote_group !== undefined && p.remote_ip_prefix !== undefined) state.fail(res, 'remote_group and remote_ip_prefix cannot both be given (Neutron refuses it)', 'remote_group');
  const rule = parseRule(state, res, p, '', state.text(res, p.remote_group, 'remote_group'), 'remote_ip_prefix');
  if (rule) state.looseRules.push({ group, rule });
  state.attributes[res] = { show: {} };
};

/**
 * One rule, checked as Neutron checks it; undefined for an IPv6 rule (the runtime is IPv4 only,
 * and IPv6 traffic to a filtered NIC is dropped, as no IPv4 rule lets it through).
 */
function parseRule(state: PlanState, res: string, r: Props, at: string, remoteGroupRef: PendingRule['remoteGroupRef'], prefixKey: string | undefined): PendingRule | undefined {
  const key = (k: string) => (at ? `${at}.${k}` : k);
  const direction = state.text(res, r.direction, key('direction')) ?? 'ingress';
  if (direction !== 'ingress' && direction !== 'egress') state.fail(res, `direction must be ingress or egress, not "${direction}"`, key('direction'));
  const ethertype = state.text(res, r.ethertype, key('ethertype')) ?? 'IPv4';
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6') state.fail(res, `ethertype must be IPv4 or IPv6, not "${ethertype}"`, key('ethertype'));
  if (ethertype === 'IPv6') return undefined;
  const protocol = protocolNumber(state, res, r.protocol, key('protocol'));
  const portMin = port(state, res, r.port_range_min, key('port_range_min'), protocol === ICMP ? 255 : 65535);
  const portMax = port(state, res, r.port_range_max, key('port_range_max'), protocol === ICMP ? 255 : 65535);
  if (portMin !== undefined || portMax !== undefined) {
    if (protocol === undefined || (protocol !== ICMP && !PORT_PROTOCOLS.has(protocol))) state.fail(res, 'port_range_min and port_range_max need a protocol with ports (tcp, udp, sctp, dccp, udplite) or icmp', key('port_range_min'));
    if (portMin === undefined) state.fail(res, 'port_range_max needs port_range_min', key('port_range_min'));
    if (protocol !== ICMP && portMax !== undefined && portMax < portMin!) state.fail(res, `port_range_min ${portMin} is above port_range_max ${portMax}`, key('port_range_min'));
  }
  const prefix = prefixKey ? state.text(res, r[prefixKey], key(prefixKey)) : undefined;
  return {
    direction, protocol, portMin, portMax: protocol === ICMP ? portMax : portMax ?? portMin,
    remoteIpPrefix: prefix === undefined ? undefined : ipv4Prefix(state, res, prefix, key(prefixKey!)),
    remoteGroupRef, resource: res, property: at ? `${at}.remote_group_id` : 'remote_group',
  };
}

function protocolNumber(state: PlanState, res: string, value: unknown, property: string): number | undefined {
  const text = state.text(res, value, property)?.toLowerCase();
  if (text === undefined || text === 'any') return undefined;
  if (/^\d+$/.test(text) && Number(text) <= 255) return Number(text) === 0 ? undefined : Number(text);
  if (Object.hasOwn(PROTOCOLS, text)) return PROTOCOLS[text];
  return state.fail(res, `protocol "${text}" is not an IPv4 protocol Neutron knows (${Object.keys(PROTOCOLS).join(', ')} or a number from 0 to 255)`, property);
}

function port(state: PlanState, res: string, value: unknown, property: string, max: number): number | undefined {
  return value === undefined || value === null ? undefined : state.whole(res, value, property, 0, 0, max);
}

/** An IPv4 network (an address alone is a /32), host bits cleared as Neutron stores it. */
function ipv4Prefix(state: PlanState, res: string, text: string, property: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  const bits = m ? Number(m[2] ?? 32) : NaN;
  let ip: number;
  try {
    ip = m && bits <= 32 ? ipToInt(m[1]) : NaN;
  } catch {
    ip = NaN;
  }
  if (Number.isNaN(ip)) return state.fail(res, `"${text}" is not an IPv4 network (like 192.0.2.0/24); the local runtime is IPv4 only`, property);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return `${intToIp((ip & mask) >>> 0)}/${bits}`;
}

/** The groups a port or server asks for in `security_groups` (references as written). */
export function groupRefs(state: PlanState, res: string, value: unknown, property: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return list(value).map((v, i) => state.text(res, v, `${property}[${i}]`) ?? state.fail(res, 'must name a security group', `${property}[${i}]`));
}

/** A security group of the template by id, resource name or `name` property. */
function groupNamed(state: PlanState, ref: string): string | undefined {
  const byRef = state.lookup(ref, 'OS::Neutron::SecurityGroup');
  if (byRef && state.securityGroups.has(byRef)) return byRef;
  for (const [res, g] of state.securityGroups) if (g.name === ref) return res;
  return undefined;
}

/**
 * Once every resource is planned: rules of SecurityGroupRule resources join their groups, remote
 * groups and each NIC's groups are resolved, and the plan gets its `security` part when any NIC is
 * filtered. Only groups the template makes are enforced: a name it does not define (the cloud's
 * `default`, say) is a group the runtime cannot know, which the log says.
 */
export function bindSecurityGroups(state: PlanState): void {
  for (const { group, rule } of state.looseRules) {
    if (state.unbuilt.has(rule.resource)) continue;
    const g = groupNamed(state, group);
    if (!g) state.attempt(() => state.fail(rule.resource, `security group "${group}" is not a security group of this template`, 'security_group'), undefined);
    else state.securityGroups.get(g)!.rules.push(rule);
  }
  const groups: SecurityGroupPlan[] = [];
  for (const [res, g] of state.securityGroups) {
    if (state.unbuilt.has(res)) continue;
    const rules: SecurityRulePlan[] = [];
    for (const { remoteGroupRef, resource, property, ...rule } of g.rules) {
      if (remoteGroupRef === undefined) rules.push(rule);
      else if (typeof remoteGroupRef === 'object') rules.push({ ...rule, remoteGroup: res });
      else {
        const remote = groupNamed(state, remoteGroupRef);
        if (remote) rules.push({ ...rule, remoteGroup: remote });
        else state.attempt(() => state.fail(resource, `remote group "${remoteGroupRef}" is not a security group of this template`, property), undefined);
      }
    }
    groups.push({ resource: res, rules });
  }
  let filtered = false;
  for (const n of state.nicSecurity) {
    if (n.refs === null) continue;
    const known = n.refs.map((r) => groupNamed(state, r));
    const unknown = n.refs.filter((_r, i) => !known[i]);
    if (unknown.length) {
      const note = `security groups ${unknown.map((u) => `"${u}"`).join(', ')} (${n.owner}) are not groups of this template: not enforced by the local runtime`;
      if (!state.notes.includes(note)) state.notes.push(note);
    }
    // An empty list is Neutron's "no group": nothing in or out. Only unknown names: left open.
    if (n.refs.length && !known.some(Boolean)) continue;
    n.nic.securityGroups = [...new Set(known.filter((k): k is string => !!k))];
    filtered = true;
  }
  const count = state.nicSecurity.filter((n) => n.nic.securityGroups).length;
  if (count > MAX_FILTERED_NICS) state.attempt(() => state.fail(state.nicSecurity[0].owner, `${count} NICs with security groups: the local runtime filters at most ${MAX_FILTERED_NICS} per stack`, 'security_groups'), undefined);
  if (filtered) state.security = { table: names.nftTable(state.shortId), zone: conntrackZone(state.shortId), groups };
}
