/**
 * Which servers a learner can open for a lab, and where each one is. A lab with no `ports` has one
 * server: the jump host (the stack's public_ip). With `ports`, each entry is a server; one with a
 * `host` is reached THROUGH the jump host (ssh2 forwardOut), since only the jump host has a public address.
 */
import { DEFAULT_PORTS, type Lab } from './lab.ts';

export interface LabServer {
  name: string;
  /** Host as seen from the jump host; undefined = the jump host itself. */
  host?: string;
  /** SSH port for terminal labs, the VNC / RDP port for desktop labs. */
  port: number;
}

export const DEFAULT_SERVER = 'default';

/** In a desktop lab, a port named "ssh" (no host) is the jump host's SSH port for the tunnel, not a screen. */
export const SSH_PORT_NAME = 'ssh';

export function labServers(lab: Lab): LabServer[] {
  const ports = lab.protocol === 'ssh' ? lab.ports : lab.ports.filter((p) => !(p.name === SSH_PORT_NAME && p.host === undefined));
  if (ports.length > 0) return ports.map((p) => ({ name: p.name, host: p.host, port: p.number }));
  return [{ name: DEFAULT_SERVER, port: lab.port }];
}

export function findServer(lab: Lab, name: string): LabServer | undefined {
  return labServers(lab).find((s) => s.name === name);
}

/** SSH port of the jump host: the lab's port for terminal labs; desktops are tunnelled over port 22. */
export function jumpSshPort(lab: Lab): number {
  if (lab.protocol !== 'ssh') return lab.ports.find((p) => p.name === SSH_PORT_NAME && p.host === undefined)?.number ?? DEFAULT_PORTS.ssh;
  const direct = lab.ports.find((p) => p.host === undefined);
  return lab.ports.length > 0 && direct ? direct.number : lab.port;
}
