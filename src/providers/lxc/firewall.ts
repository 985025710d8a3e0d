/**
 * nftables rules, as text for `nft -f`. Two places: the host (one `inet stacklab` table guarding the
 * public bridge) and each router namespace (floating-IP NAT and what the lab may reach). A lab
 * reaches only its own networks, the wait-condition endpoint, and the internet if the lab allows it.
 */
import type { RouterPlan } from './plan.ts';

export interface HostRulesInput {
  bridge: string;
  hostIp: string;
  signalPort: number;
}

/** Idempotent: chains are flushed and refilled, the set of internet-allowed addresses is kept. */
export function hostRules({ bridge, hostIp, signalPort }: HostRulesInput): string {
  const b = JSON.stringify(bridge);
  return [
    'add table inet stacklab',
    'add set inet stacklab internet { type ipv4_addr; }',
    // The stacks' own bridges: the host has no address on them, but without this rule a lab's root
    // could still hand the host a frame (to the broadcast MAC, say) addressed to a host IP.
    'add set inet stacklab lab_bridges { type ifname; }',
    'add chain inet stacklab input { type filter hook input priority -5; policy accept; }',
    'add chain inet stacklab forward { type filter hook forward priority -5; policy accept; }',
    'add chain inet stacklab postrouting { type nat hook postrouting priority 95; policy accept; }',
    'flush chain inet stacklab input',
    'flush chain inet stacklab forward',
    'flush chain inet stacklab postrouting',
    // Replies to the platform's own connections (SSH, VNC to public IPs) come back in.
    `add rule inet stacklab input iifname ${b} ct state established,related accept`,
    `add rule inet stacklab input iifname ${b} ip daddr ${hostIp} tcp dport ${signalPort} accept`,
    `add rule inet stacklab input iifname ${b} drop`,
    'add rule inet stacklab input iifname @lab_bridges drop',
    `add rule inet stacklab forward iifname ${b} ip saddr @internet oifname != ${b} accept`,
    `add rule inet stacklab forward oifname ${b} ct state established,related accept`,
    `add rule inet stacklab forward iifname ${b} drop`,
    `add rule inet stacklab forward oifname ${b} drop`,
    `add rule inet stacklab postrouting ip saddr @internet oifname != ${b} masquerade`,
    '',
  ].join('\n');
}

/** Adds or removes a stack's bridges in the set the host refuses all input from. */
export function labBridgeElements(add: boolean, bridges: string[]): string {
  if (!bridges.length) return '';
  return `${add ? 'add' : 'delete'} element inet stacklab lab_bridges { ${bridges.map((n) => JSON.stringify(n)).join(', ')} }\n`;
}

export function internetElements(add: boolean, ips: string[]): string {
  if (!ips.length) return '';
  return `${add ? 'add' : 'delete'} element inet stacklab internet { ${ips.join(', ')} }\n`;
}

/** Where a stack's traffic toward the public side may go: the same for a router and for servers on the external network. */
export interface PublicSideInput {
  hostIp: string;
  signalPort: number;
  publicCidr: string;
  allowInternet: boolean;
}

/** To the host only at the wait-condition endpoint, never to the public range, to the internet if the stack may. */
function toPublicSide({ hostIp, signalPort, publicCidr, allowInternet }: PublicSideInput): string[] {
  return [
    `    oifname "qg" ip daddr ${hostIp} tcp dport ${signalPort} accept`,
    `    oifname "qg" ip daddr ${publicCidr} drop`,
    `    oifname "qg" ${allowInternet ? 'accept' : 'drop'}`,
  ];
}

export interface RouterRulesInput extends PublicSideInput {
  router: RouterPlan;
}

export function routerRules({ router, hostIp, signalPort, publicCidr, allowInternet }: RouterRulesInput): string {
  const lines = ['table ip stacklab {', '  chain prerouting {', '    type nat hook prerouting priority -100; policy accept;'];
  for (const n of router.nat) lines.push(`    iifname "qg" ip daddr ${n.floating} dnat to ${n.fixed}`);
  lines.push('  }', '  chain postrouting {', '    type nat hook postrouting priority 100; policy accept;');
  for (const n of router.nat) lines.push(`    oifname "qg" ip saddr ${n.fixed} snat to ${n.floating}`);
  lines.push('    oifname "qg" masquerade', '  }');
  lines.push(
    '  chain forward {',
    '    type filter hook forward priority 0; policy drop;',
    '    ct state established,related accept',
    '    iifname "qg" ct status dnat accept',
    '    iifname "qg" drop',
    ...toPublicSide({ hostIp, signalPort, publicCidr, allowInternet }),
    '    accept',
    '  }',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    iifname "qg" ct state established,related accept',
    '    iifname "qg" drop',
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}

export interface ExternalRulesInput extends PublicSideInput {
  /** The servers' public addresses (behind `qx`). */
  addresses: string[];
}

/**
 * The namespace in front of a stack's servers on the external network: what a router's forward
 * chain allows a floating IP, for addresses that are the servers' own (no NAT). From the public
 * side only to those addresses; from the servers only from them, and not to the public range but
 * the wait-condition endpoint.
 */
export function externalRules({ addresses, hostIp, signalPort, publicCidr, allowInternet }: ExternalRulesInput): string {
  const own = `{ ${addresses.join(', ')} }`;
  return [
    'table ip stacklab {',
    '  chain forward {',
    '    type filter hook forward priority 0; policy drop;',
    `    iifname "qx" ip saddr != ${own} drop`,
    '    ct state established,related accept',
    `    iifname "qg" oifname "qx" ip daddr ${own} accept`,
    '    iifname "qg" drop',
    ...toPublicSide({ hostIp, signalPort, publicCidr, allowInternet }),
    '    drop',
    '  }',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    ct state established,related accept',
    '    drop',
    '  }',
    '}',
    '',
  ].join('\n');
}
