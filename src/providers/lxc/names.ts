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
};

/** A hostname from a server name: RFC 1123 label characters, at most 63. */
export function hostnameFrom(name: string): string {
  const h = name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return h || 'server';
}
