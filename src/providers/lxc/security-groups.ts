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
 * Conntrack runs in the stack's own zone (names.ts). Both tables are named `sl<short>` (the stack's
 * reserved prefix, like its links and namespaces), so a stack's create and delete touch only its own.
 */
import { nftApply, nftRemove, deleteTablesText, type NftTable } from './nft.ts';
import { tableComment } from './nft-owner.ts';
import type { NicPlan, SecurityPlan, SecurityRulePlan, StackPlan } from './plan.ts';
import { ICMP, MAX_FILTERED_NICS, PORT_PROTOCOLS } from './plan/security-group-handlers.ts';

/** The mark bits that number the port a packet leaves by; the rest are left as they were. */
const PORT_BITS = MAX_FILTERED_NICS;
const OTHER_BITS = `0x${(~PORT_BITS >>> 0).toString(16)}`;

/**
 * `nft -f` text creating both tables of a stack (deleted first, so a retry starts clean). `deployment`
 * goes into each table's comment: the table's name cannot tell whose it is, and the reconciler takes
 * back only its own deployment's tables that no stack holds (nft-owner.ts).
 */
export function securityRules(plan: StackPlan, deployment?: string): string {
  const sec = plan.security;
  if (!sec) return '';
  const comment = deployment ? [`  comment ${q(tableComment(deployment))}`] : [];
  const nics = plan.servers.flatMap((s) => s.nics).filter((n) => n.securityGroups);
  const bridges = set([...plan.networks.map((n) => n.bridge), ...(plan.external ? [plan.external.bridge] : [])].map(q));
  const id = new Map(nics.map((n, i) => [n, i + 1]));
  const out: string[] = [
    `table bridge ${sec.table} {}`,
    `delete table bridge ${sec.table}`,
    `table inet ${sec.table} {}`,
    `delete table inet ${sec.table}`,
    `table bridge ${sec.table} {`,
    ...comment,
    // Before the bridge learns the source address: a frame from a filtered NIC under another MAC is
    // dropped, so the MAC names the NIC further on and no server can take another's place in the bridge.
    '  chain prerouting {',
    '    type filter hook prerouting priority -300; policy accept;',
    ...nics.map((n) => `    iifname ${q(n.hostIf)} ether saddr != ${n.mac} drop`),
    '  }',
    // Before br_netfilter (priority -1) hands the packet to the inet forward hook.
    '  chain forward {',
    '    type filter hook forward priority -200; policy accept;',
    `    oifname ${q(`${sec.table}*`)} meta mark set meta mark & ${OTHER_BITS}`,
    ...nics.map((n) => `    oifname ${q(n.hostIf)} meta mark set meta mark | ${id.get(n)}`),
    '  }',
    '}',
    `table inet ${sec.table} {`,
    ...comment,
  ];
  for (const g of sec.groups) {
    const members = nics.filter((n) => n.securityGroups!.includes(g.resource)).flatMap((n) => [n.ip, ...(n.allowedAddresses ?? [])]);
    out.push(`  set ${groupSet(sec, g.resource)} {`, '    type ipv4_addr; flags interval;', ...(members.length ? [`    elements = { ${[...new Set(members)].join(', ')} }`] : []), '  }');
  }
  out.push(
    '  chain raw {',
    '    type filter hook prerouting priority -300; policy accept;',
    `    iifname ${bridges} ct zone set ${sec.zone}`,
    '  }',
    // First of all forward chains (mangle is -150, filter 0): the port number is read and cleared here.
    '  chain forward {',
    '    type filter hook forward priority -300; policy accept;',
    `    iifname != ${bridges} return`,
    '    jump judge',
    `    meta mark set meta mark & ${OTHER_BITS}`,
    '  }',
    // Every verdict but drop is a return, so the forward chain clears the port number on the way out.
    '  chain judge {',
    ...(nics.length ? [`    ether saddr != ${set(nics.map((n) => n.mac))} meta mark & ${hex(PORT_BITS)} == 0 return`] : ['    return']),
    '    ct state established,related return',
    '    ct state invalid drop',
    ...(nics.length ? [`    ether saddr vmap { ${nics.map((n) => `${n.mac} : jump out${id.get(n)}`).join(', ')} }`] : []),
    ...(nics.length ? [`    meta mark & ${hex(PORT_BITS)} vmap { ${nics.map((n) => `${id.get(n)} : jump in${id.get(n)}`).join(', ')} }`] : []),
    '  }',
  );
  for (const n of nics) out.push(...egressChain(sec, n, id.get(n)!), ...ingressChain(sec, n, id.get(n)!));
  out.push('}', '');
  return out.join('\n');
}

/** From the NIC: its own source addresses only; then, unless a group allows all egress, its egress rules. */
function egressChain(sec: SecurityPlan, nic: NicPlan, i: number): string[] {
  const groups = sec.groups.filter((g) => nic.securityGroups!.includes(g.resource));
  const lines = [`  chain out${i} {`, `    meta nfproto ipv4 ip saddr != ${set([nic.ip, ...(nic.allowedAddresses ?? [])])} drop`];
  // Heat keeps Neutron's allow-all egress rules of a group until the template gives it an egress rule.
  if (groups.some((g) => !g.rules.some((r) => r.direction === 'egress'))) lines.push('    return');
  else {
    for (const r of groups.flatMap((g) => g.rules.filter((x) => x.direction === 'egress'))) lines.push(`    ${match(sec, r, 'daddr')} return`);
    lines.push('    drop');
  }
  lines.push('  }');
  return lines;
}

function ingressChain(sec: SecurityPlan, nic: NicPlan, i: number): string[] {
  const rules = sec.groups.filter((g) => nic.securityGroups!.includes(g.resource)).flatMap((g) => g.rules.filter((r) => r.direction === 'ingress'));
  return [`  chain in${i} {`, ...rules.map((r) => `    ${match(sec, r, 'saddr')} return`), '    drop', '  }'];
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
  return `g${sec.groups.findIndex((g) => g.resource === resource)}`;
}

const q = (s: string) => JSON.stringify(s);
const set = (items: string[]) => `{ ${items.join(', ')} }`;
const hex = (n: number) => `0x${n.toString(16)}`;

export async function applySecurityRules(plan: StackPlan, deployment?: string): Promise<void> {
  const rules = securityRules(plan, deployment);
  if (rules) await nftApply(rules);
}

/** Both tables a stack may have (whether its plan filters or not: a crash may have left either). */
export function securityTables(prefix: string): NftTable[] {
  return [
    { family: 'bridge', name: prefix },
    { family: 'inet', name: prefix },
  ];
}

/**
 * Deletes the stack's tables by name in one transaction, without reading the host's whole ruleset;
 * throws when they could not be removed, so the delete fails rather than leaving them behind.
 */
export async function removeSecurityRules(prefix: string): Promise<void> {
  await nftRemove(`the firewall tables of ${prefix}`, deleteTablesText(securityTables(prefix)));
}
