/**
 * The stack's side of the external network, for servers attached to it directly: a bridge of the
 * stack's own (their NICs, with public addresses) and a namespace between it and the public bridge.
 * The namespace answers ARP for those addresses on the public bridge and for the rest of the public
 * range on the stack's bridge (proxy ARP, with /32 routes to the servers), so the platform reaches
 * them as it reaches a floating IP, and everything they send crosses it at layer 3, through the
 * same rules as a router's (firewall.ts `externalRules`): the host only at the wait-condition
 * endpoint, no other stack, the internet only if the stack may. A server that takes another address
 * gets nothing through (only its own addresses leave), and ARP from its bridge never reaches the
 * public one. The bridge is NOARP, as the stack's others are: the host must not answer ARP there for
 * its own addresses (the host end of the public range among them), the namespace answers instead.
 */
import { run } from './exec.ts';
import { externalRules } from './firewall.ts';
import { parseCidr } from './ipv4.ts';
import type { LxcSettings } from './options.ts';
import type { ExternalPlan } from './plan.ts';

/** Links on the host: made with the stack's others (network.ts), before the namespace is set up. */
export function externalLinkCommands(settings: LxcSettings, ext: ExternalPlan): { create: string[]; up: string[] } {
  return {
    create: [
      `link add ${ext.bridge} type bridge`,
      `netns add ${ext.netns}`,
      `link add ${ext.legHostIf} type veth peer name qx netns ${ext.netns}`,
      `link add ${ext.gatewayHostIf} type veth peer name qg netns ${ext.netns}`,
    ],
    up: [`link set ${ext.bridge} arp off up`, `link set ${ext.legHostIf} master ${ext.bridge} up`, `link set ${ext.gatewayHostIf} master ${settings.publicBridge} up`],
  };
}

export async function setUpExternalNamespace(settings: LxcSettings, ext: ExternalPlan, hostIp: string, allowInternet: boolean): Promise<void> {
  const prefix = parseCidr(settings.publicCidr).prefix;
  const ipCmds = [
    'link set lo up',
    `addr add ${ext.gatewayIp}/${prefix} dev qg`,
    'link set qg up',
    'link set qx up',
    `route add default via ${hostIp}`,
    ...ext.addresses.map((ip) => `route add ${ip}/32 dev qx`),
  ];
  const rules = externalRules({ addresses: ext.addresses, hostIp, signalPort: settings.signalPort, publicCidr: settings.publicCidr, allowInternet });
  const script = [
    'set -e',
    'echo 1 > /proc/sys/net/ipv4/ip_forward',
    // Proxy ARP answers at once (the default delays a proxied answer by up to 0.8 s).
    ...['qg', 'qx'].flatMap((i) => [`echo 1 > /proc/sys/net/ipv4/conf/${i}/proxy_arp`, `echo 0 > /proc/sys/net/ipv4/neigh/${i}/proxy_delay`]),
    `ip -batch - <<'EOF_IP'\n${ipCmds.join('\n')}\nEOF_IP`,
    `nft -f - <<'EOF_NFT'\n${rules}EOF_NFT`,
  ].join('\n');
  await run('ip', ['netns', 'exec', ext.netns, 'sh', '-s'], { input: script });
}
