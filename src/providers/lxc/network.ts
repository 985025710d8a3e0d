/**
 * The stack's networks on the host: one bridge per OS::Neutron::Net (no host address: the host
 * takes no part in lab traffic), one network namespace per router with a leg into each of its
 * networks and, for an external gateway, a leg into the public bridge carrying the router's
 * gateway address and the floating IPs it NATs. Stacks can reuse the same subnets because no
 * two stacks share a bridge or a namespace.
 */
import { writeFile } from 'node:fs/promises';
import { run, tryRun } from './exec.ts';
import { hostRules, internetElements, labBridgeElements, routerRules } from './firewall.ts';
import { intToIp, parseCidr } from './ipv4.ts';
import type { LxcSettings } from './options.ts';
import type { StackPlan } from './plan.ts';
import { sq } from './cloud-config.ts';
import { applySecurityRules, removeSecurityRules } from './security-groups.ts';
import { nft, nftApply, nftRemove } from './nft.ts';
import { externalLinkCommands, setUpExternalNamespace } from './external-network.ts';

export function hostIpOf(settings: LxcSettings): string {
  return intToIp(parseCidr(settings.publicCidr).first);
}

async function disableIpv6(ifname: string): Promise<void> {
  // A link-local IPv6 address on a lab-facing interface would let labs reach host services.
  await writeFile(`/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`, '1').catch(() => {});
}

let hostReady: Promise<void> | undefined;

/** The public bridge and host rules: made once per process, and idempotent across processes. */
export function ensureHostNetwork(settings: LxcSettings): Promise<void> {
  hostReady ??= (async () => {
    const br = settings.publicBridge;
    const prefix = parseCidr(settings.publicCidr).prefix;
    await run('ip', ['link', 'add', br, 'type', 'bridge'], { okCodes: [2] });
    await disableIpv6(br);
    await run('ip', ['addr', 'replace', `${hostIpOf(settings)}/${prefix}`, 'dev', br]);
    await run('ip', ['link', 'set', br, 'up']);
    await nftApply(hostRules({ bridge: br, hostIp: hostIpOf(settings), signalPort: settings.signalPort }));
  })().catch((err) => {
    hostReady = undefined;
    throw err;
  });
  return hostReady;
}

/** `deployment` names the owner in the stack's firewall tables (nft-owner.ts). */
export async function createStackNetwork(settings: LxcSettings, plan: StackPlan, allowInternet: boolean, deployment?: string): Promise<void> {
  const create: string[] = [];
  const up: string[] = [];
  for (const n of plan.networks) {
    create.push(`link add ${n.bridge} type bridge`);
    // NOARP: the host would otherwise answer a lab's ARP for any of its own addresses on the bridge.
    up.push(`link set ${n.bridge} arp off up`);
  }
  for (const r of plan.routers) {
    create.push(`netns add ${r.netns}`);
    for (const l of r.legs) {
      create.push(`link add ${l.hostIf} type veth peer name ${l.nsIf} netns ${r.netns}`);
      up.push(`link set ${l.hostIf} master ${l.bridge} up`);
    }
    if (r.gateway) {
      create.push(`link add ${r.gateway.hostIf} type veth peer name ${r.gateway.nsIf} netns ${r.netns}`);
      up.push(`link set ${r.gateway.hostIf} master ${settings.publicBridge} up`);
    }
  }
  if (plan.external) {
    const ext = externalLinkCommands(settings, plan.external);
    create.push(...ext.create);
    up.push(...ext.up);
  }
  const bridges = [...plan.networks.map((n) => n.bridge), ...(plan.external ? [plan.external.bridge] : [])];
  // Guarded before they exist, so no frame reaches the host through them at any moment.
  if (bridges.length) await nftApply(labBridgeElements(true, bridges));
  if (create.length) await run('ip', ['-batch', '-'], { input: create.join('\n') + '\n' });
  const externalIfs = plan.external ? [plan.external.legHostIf, plan.external.gatewayHostIf] : [];
  await Promise.all([...bridges, ...externalIfs, ...plan.routers.flatMap((r) => [...r.legs.map((l) => l.hostIf), ...(r.gateway ? [r.gateway.hostIf] : [])])].map(disableIpv6));
  if (up.length) await run('ip', ['-batch', '-'], { input: up.join('\n') + '\n' });
  // Before any server starts, so no NIC is ever up unfiltered.
  await applySecurityRules(plan, deployment);
  const hostIp = hostIpOf(settings);
  const publicPrefix = parseCidr(settings.publicCidr).prefix;
  await Promise.all(
    plan.routers.map((r) => {
      const ipCmds = ['link set lo up'];
      for (const l of r.legs) ipCmds.push(`addr add ${l.ip}/${l.prefix} dev ${l.nsIf}`, `link set ${l.nsIf} up`);
      if (r.gateway) {
        ipCmds.push(`addr add ${r.gateway.ip}/${publicPrefix} dev ${r.gateway.nsIf}`);
        for (const n of r.nat) ipCmds.push(`addr add ${n.floating}/32 dev ${r.gateway.nsIf}`);
        ipCmds.push(`link set ${r.gateway.nsIf} up`, `route add default via ${hostIp}`);
      }
      for (const rt of r.routes) ipCmds.push(`route replace ${rt.destination} via ${rt.nexthop}`);
      const rules = routerRules({ router: r, hostIp, signalPort: settings.signalPort, publicCidr: settings.publicCidr, allowInternet });
      const script = [
        'set -e',
        'echo 1 > /proc/sys/net/ipv4/ip_forward',
        `ip -batch - <<'EOF_IP'\n${ipCmds.join('\n')}\nEOF_IP`,
        `nft -f - <<'EOF_NFT'\n${rules}EOF_NFT`,
      ].join('\n');
      return run('ip', ['netns', 'exec', r.netns, 'sh', '-s'], { input: script });
    }),
  );
  if (plan.external) await setUpExternalNamespace(settings, plan.external, hostIp, allowInternet);
  if (allowInternet && plan.publicIps.length) {
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
    await nftApply(internetElements(true, plan.publicIps));
  }
}

/**
 * Removes every link and namespace with the stack's prefix; safe to run on a half-made stack. The
 * stack's rules are in `deployment`'s dispatch tables (nft-dispatch.ts). The
 * host's nft state of the stack (its tables, its entries in the host's sets) is removed by name and
 * must go: a failure there is thrown once the rest is removed, so the delete fails rather than
 * leaving rules behind that nothing would find again.
 */
export async function deleteStackNetwork(prefix: string, plan?: StackPlan, deployment?: string): Promise<void> {
  const failures: unknown[] = [];
  const keep = (p: Promise<void>) => p.catch((err: unknown) => void failures.push(err));
  if (plan?.publicIps.length) await keep(nftRemove(`the internet access of ${prefix}`, forgetElements(internetElements, plan.publicIps)));
  await keep(removeSecurityRules(prefix, deployment));
  const netns = (await run('ip', ['netns', 'list']).catch(() => '')).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
  // Deleting a namespace deletes its veth ends, and with them the host ends.
  await Promise.all(netns.map((n) => tryRun('ip', ['netns', 'del', n])));
  const links = (await run('ip', ['-o', 'link', 'show']).catch(() => ''))
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n): n is string => !!n && n.startsWith(prefix));
  if (links.length) await tryRun('ip', ['-force', '-batch', '-'], { input: links.map((l) => `link del ${l}`).join('\n') + '\n' });
  // Last, once the bridges are gone.
  const guarded = [...new Set([...(plan?.networks.map((n) => n.bridge) ?? []), ...(plan?.external ? [plan.external.bridge] : []), ...(await guardedBridges(prefix))])];
  if (guarded.length) await keep(nftRemove(`the input guard of ${prefix}'s bridges`, forgetElements(labBridgeElements, guarded)));
  if (failures.length) throw failures[0];
}

/**
 * Set elements removed in one transaction whether or not each is there: added first (a no-op for one
 * that is), as a missing element would fail the whole `delete element` and keep the others.
 */
function forgetElements(text: (add: boolean, items: string[]) => string, items: string[]): string {
  return text(true, items) + text(false, items);
}

async function guardedBridges(prefix: string): Promise<string[]> {
  const out = await nft(['list', 'set', 'inet', 'stacklab', 'lab_bridges']).catch(() => '');
  return [...out.matchAll(/"([^"]+)"/g)].map((m) => m[1]!).filter((n) => n.startsWith(prefix));
}

/** Runs a shell snippet in a router namespace (tests and diagnostics). */
export function inRouter(netns: string, script: string): Promise<string> {
  return run('ip', ['netns', 'exec', netns, 'sh', '-c', script]);
}

export { sq };
