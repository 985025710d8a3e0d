/**
 * Names of everything the runtime makes on the host. Linux interface names are at most 15
 * characters, so each stack gets a 6-character short id and every object is `sl<short><kind><n>`:
 * all of a stack's links, namespaces, containers and firewall tables share the `sl<short>` prefix,
 * which lets delete find leftovers even when the state file lost track of them.
 */
import { createHash } from 'node:crypto';

export function shortIdCandidate(stackName: string, attempt: number): string {
  return createHash('sha256').update(`${stackName}#${attempt}`).digest('hex').slice(0, 6);
}

export const names = {
  prefix: (short: string) => `sl${short}`,
  bridge: (short: string, i: number) => `sl${short}n${i}`,
  routerNs: (short: string, i: number) => `sl${short}r${i}`,
  /** Host side of a router's leg into a network bridge. */
  routerLeg: (short: string, router: number, leg: number) => `sl${short}r${router}i${leg}`,
  /** Host side of a router's leg into the public bridge. */
  routerGateway: (short: string, router: number) => `sl${short}r${router}g`,
  container: (short: string, i: number) => `sl${short}s${i}`,
  /** A volume's folder beside the containers (its file and the mount of its file system). */
  volume: (short: string, i: number) => `sl${short}v${i}`,
  /** Host side of a container's NIC. */
  containerNic: (short: string, server: number, nic: number) => `sl${short}s${server}e${nic}`,
  nftTable: (short: string) => `sl${short}`,
  /** The stack's side of the external network: its bridge, namespace, and the namespace's legs. */
  externalBridge: (short: string) => `sl${short}x`,
  externalNs: (short: string) => `sl${short}xr`,
  externalLeg: (short: string) => `sl${short}xi`,
  externalGateway: (short: string) => `sl${short}xg`,
};

/**
 * The conntrack zone of a stack's bridged traffic (1..65535): stacks reuse the same addresses, and
 * the host tracks every bridge's connections in one table, so without a zone each a packet of one
 * stack could be taken for a reply in another. The provider reserves it with the short id, so no
 * two stacks on the host share one.
 */
export function conntrackZone(short: string): number {
  return 1 + (parseInt(short, 16) % 65535);
}

/** A hostname from a server name: RFC 1123 label characters, at most 63. */
export function hostnameFrom(name: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return h || 'server';
}
