/**
 * Security groups enforced on the host, as Neutron's firewall driver does on a port: for each
 * filtered NIC, traffic to it is dropped unless a rule of one of its groups lets it in (or it
 * belongs to a connection already let through), traffic from it is let out when a group without
 * egress rules is among them or an egress rule matches, and it may send only from its own address
 * (and its allowed_address_pairs), so no server can pass itself off as a member of a remote group.
 *
 * Where: the stack's bridges on the host. The host bridges with bridge-nf-call-iptables on (the
 * kernel's default, per network namespace), so bridged IPv4 passes the inet hooks with conntrack;
 * there the bridge, not the NIC, is the interface. So a NIC is known by its MAC address on the way
 * out (as Neutron does, a filtered NIC may send only from its own MAC: the `bridge` table drops any
 * other), and by a packet mark on the way in: the bridge's forward hook numbers the port a packet
 * leaves by (0 for a router leg), and the first inet forward chain reads the number and clears it.
 * The mark is the host's, shared with other software (CNI's portmap masquerades what carries 0x2000,
 * kube-proxy 0x4000, CONNMARK restores overwrite it): so it lives only between those two hooks, in
 * the low 12 bits, and no one else's rule ever sees a mark of ours. Its chains only ever see the
 * stack's own bridges, and every verdict but drop leaves the packet to the host's other rules
 * (firewall.ts), so this can only take traffic away, never open the control plane or another stack.
 * Conntrack runs in the stack's own zone (names.ts). The rules hang from its deployment's dispatch
 * tables (nft-dispatch.ts): its chains and sets are named `<prefix>_*` (the stack's reserved `sl<short>`,
 * like its links and namespaces) and the maps reach them only from its own interfaces, so a stack's
 * create and delete touch only what is its own.
 */
import { nftApply, nftRemove, deleteTablesText, type NftTable } from './nft.ts';
import { dispatchTable, dispatchText, readDispatch, removeStackText } from './nft-dispatch.ts';
import type { NicPlan, SecurityPlan, SecurityRulePlan, StackPlan } from './plan.ts';
import { ICMP, MAX_FILTERED_NICS, PORT_PROTOCOLS } from './plan/security-group-handlers.ts';

/** The mark bits that number the port a packet leaves by; the rest are left as they were. */
const PORT_BITS = MAX_FILTERED_NICS;
const OTHER_BITS = `0x${(~PORT_BITS >>> 0).toString(16)}`;

/**
 * `nft -f` text putting the stack's rules into its deployment's dispatch tables (nft-dispatch.ts), in
 * one transaction: the dispatch is declared (idempotent), the stack's chains and sets are made or
 * emptied and filled (so a retry starts clean), and the maps send its interfaces' packets to them.
 */
export function securityRules(plan: StackPlan, deployment?: string): string {
  const sec = plan.security;
  if (!sec) return '';
  const t = dispatchTable(deployment);
  const p = sec.table;
  const allNics = plan.servers.flatMap((s) => s.nics);
  const nics = allNics.filter((n) => n.securityGroups);
  const bridges = [...plan.networks.map((n) => n.bridge), ...(plan.external ? [plan.external.bridge] : [])];
  // Every port the stack has on a bridge (what `oifname "<prefix>*"` matched in a table of its own).
  const ports = [
    ...allNics.map((n) => n.hostIf),
    ...plan.routers.flatMap((r) => [...r.legs.map((l) => l.hostIf), ...(r.gateway ? [r.gateway.hostIf] : [])]),
    ...(plan.external ? [plan.external.legHostIf, plan.external.gatewayHostIf] : []),
  ];
  const id = new Map(nics.map((n, i) => [n, i + 1]));
  const chain = (family: string, name: string, rules: string[]) => [`add chain ${family} ${t} ${name}`, `flush chain ${family} ${t} ${name}`, ...rules.map((r) => `add rule ${family} ${t} ${name} ${r}`)];
  const elements = (family: string, map: string, items: string[]) => (items.length ? [`add element ${family} ${t} ${map} { ${items.join(', ')} }`] : []);
  // A table of its own from before the dispatch tables, left by a crash under this short id, would
  // still judge its interfaces (by another plan's MACs): it goes in the same transaction.
  const out: string[] = [deleteTablesText(securityTables(p)).trimEnd(), dispatchText(deployment).trimEnd()];
  // Before the bridge learns the source address: a frame from a filtered NIC under another MAC is
  // dropped, so the MAC names the NIC further on and no server can take another's place in the bridge.
  if (nics.length) out.push(...chain('bridge', `${p}_pre`, nics.map((n) => `iifname ${q(n.hostIf)} ether saddr != ${n.mac} drop`)));
  out.push(...chain('bridge', `${p}_out`, [`meta mark set meta mark & ${OTHER_BITS}`, ...nics.map((n) => `oifname ${q(n.hostIf)} meta mark set meta mark | ${id.get(n)}`)]));
  out.push(...elements('bridge', 'nic_in', nics.map((n) => `${q(n.hostIf)} : goto ${p}_pre`)));
  out.push(...elements('bridge', 'port_out', [...new Set(ports)].map((i) => `${q(i)} : goto ${p}_out`)));
  sec.groups.forEach((g, i) => {
    const members = [...new Set(nics.filter((n) => n.securityGroups!.includes(g.resource)).flatMap((n) => [n.ip, ...(n.allowedAddresses ?? [])]))];
    const name = `${p}_g${i}`;
    out.push(`add set inet ${t} ${name} { type ipv4_addr; flags interval; }`, `flush set inet ${t} ${name}`, ...(members.length ? [`add element inet ${t} ${name} { ${members.join(', ')} }`] : []));
  });
  // The judge's chains first: the ones that jump to them must find them.
  for (const n of nics) {
    out.push(...chain('inet', `${p}_out${id.get(n)}`, egressRules(sec, n)));
    out.push(...chain('inet', `${p}_in${id.get(n)}`, ingressRules(sec, n)));
  }
  // Every verdict but drop is a return, so the stack's forward chain clears the port number on the way out.
  out.push(
    ...chain('inet', `${p}_judge`, [
      ...(nics.length ? [`ether saddr != ${set(nics.map((n) => n.mac))} meta mark & ${hex(PORT_BITS)} == 0 return`] : ['return']),
      'ct state established,related return',
      'ct state invalid drop',
      ...(nics.length ? [`ether saddr vmap { ${nics.map((n) => `${n.mac} : jump ${p}_out${id.get(n)}`).join(', ')} }`] : []),
      ...(nics.length ? [`meta mark & ${hex(PORT_BITS)} vmap { ${nics.map((n) => `${id.get(n)} : jump ${p}_in${id.get(n)}`).join(', ')} }`] : []),
    ]),
  );
  out.push(...chain('inet', `${p}_fwd`, [`jump ${p}_judge`, `meta mark set meta mark & ${OTHER_BITS}`]));
  out.push(...elements('inet', 'zone_in', bridges.map((b) => `${q(b)} : ${sec.zone}`)));
  out.push(...elements('inet', 'bridge_in', bridges.map((b) => `${q(b)} : jump ${p}_fwd`)));
  out.push('');
  return out.join('\n');
}

/** From the NIC: its own source addresses only; then, unless a group allows all egress, its egress rules. */
function egressRules(sec: SecurityPlan, nic: NicPlan): string[] {
  const groups = sec.groups.filter((g) => nic.securityGroups!.includes(g.resource));
  const lines = [`meta nfproto ipv4 ip saddr != ${set([nic.ip, ...(nic.allowedAddresses ?? [])])} drop`];
  // Heat keeps Neutron's allow-all egress rules of a group until the template gives it an egress rule.
  if (groups.some((g) => !g.rules.some((r) => r.direction === 'egress'))) lines.push('return');
  else {
    for (const r of groups.flatMap((g) => g.rules.filter((x) => x.direction === 'egress'))) lines.push(`${match(sec, r, 'daddr')} return`);
    lines.push('drop');
  }
  return lines;
}

function ingressRules(sec: SecurityPlan, nic: NicPlan): string[] {
  const rules = sec.groups.filter((g) => nic.securityGroups!.includes(g.resource)).flatMap((g) => g.rules.filter((r) => r.direction === 'ingress'));
  return [...rules.map((r) => `${match(sec, r, 'saddr')} return`), 'drop'];
}

/** A rule as an nft match; `other` is the remote end's field (saddr for ingress, daddr for egress). */
export function match(sec: SecurityPlan, r: SecurityRulePlan, other: 'saddr' | 'daddr'): string {
  const parts = ['meta nfproto ipv4'];
  if (r.remoteIpPrefix && r.remoteIpPrefix !== '0.0.0.0/0') parts.push(`ip ${other} ${r.remoteIpPrefix}`);
  if (r.remoteGroup) parts.push(`ip ${other} @${groupSet(sec, r.remoteGroup)}`);
  if (r.protocol === ICMP) {
    parts.push('meta l4proto icmp');
    if (r.portMin !== undefined) parts.push(`icmp type ${r.portMin}`);
    if (r.portMin !== undefined && r.portMax !== undefined) parts.push(`icmp code ${r.portMax}`);
  } else if (r.protocol !== undefined) {
    parts.push(`meta l4proto ${r.protocol}`);
    if (PORT_PROTOCOLS.has(r.protocol) && r.portMin !== undefined) parts.push(`th dport ${r.portMin === r.portMax ? r.portMin : `${r.portMin}-${r.portMax}`}`);
  }
  return parts.join(' ');
}

function groupSet(sec: SecurityPlan, resource: string): string {
  return `${sec.table}_g${sec.groups.findIndex((g) => g.resource === resource)}`;
}

const q = (s: string) => JSON.stringify(s);
const set = (items: string[]) => `{ ${items.join(', ')} }`;
const hex = (n: number) => `0x${n.toString(16)}`;

export async function applySecurityRules(plan: StackPlan, deployment?: string): Promise<void> {
  const rules = securityRules(plan, deployment);
  if (rules) await nftApply(rules);
}

/**
 * The tables of a stack made before the dispatch tables (a table per stack and family): a stack
 * created by an older version is still running after an upgrade, and its delete removes them.
 */
export function securityTables(prefix: string): NftTable[] {
  return [
    { family: 'bridge', name: prefix },
    { family: 'inet', name: prefix },
  ];
}

/**
 * Removes the stack's chains, sets and map elements from its deployment's dispatch tables, and any
 * tables of its own from before them, in one transaction made from what the dispatch tables hold
 * (read again for each attempt; only those two tables are read, never the host's whole ruleset).
 * Throws when they could not be removed, so the delete fails rather than leaving them behind.
 */
export async function removeSecurityRules(prefix: string, deployment?: string): Promise<void> {
  await nftRemove(`the firewall tables of ${prefix}`, () => removalText(prefix, deployment));
}

export async function removalText(prefix: string, deployment?: string): Promise<string> {
  const [bridge, inet] = [await readDispatch('bridge', deployment), await readDispatch('inet', deployment)];
  return removeStackText('bridge', deployment, bridge, prefix) + removeStackText('inet', deployment, inet, prefix) + deleteTablesText(securityTables(prefix));
}
