/** Opens the SSH connection or TCP tunnel a terminal / desktop socket needs, for one server of a stack. */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import type { Lab } from '../domain/lab.ts';
import type { Stack, StackSecrets } from '../domain/stack.ts';
import { jumpSshPort, type LabServer } from '../domain/lab-servers.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import { connectDirect, connectThrough, forwardOut, type SshOptions } from './ssh-connect.ts';
import { sentence } from '../errors/sentence.ts';

export interface OpenedSsh {
  client: Client;
  close(): void;
}

export interface OpenedTunnel {
  stream: Duplex;
  close(): void;
}

export function publicIpOf(stack: Stack): string {
  if (!stack.publicIp) throw new LabConnectionError('no-address', sentence('screen.noAddress'), `stack ${stack.id} has no public_ip`);
  return stack.publicIp;
}

/** A logged-in SSH connection to the stack's jump host, on the port its tunnels use. */
export function connectJump(stack: Stack, lab: Lab, secrets: StackSecrets, opts: SshOptions = {}): Promise<Client> {
  return connectDirect(publicIpOf(stack), jumpSshPort(lab), { username: lab.user, secrets }, opts);
}

/** A logged-in SSH connection to `server` (through the jump host when the server has a host name). */
export async function openSsh(stack: Stack, lab: Lab, secrets: StackSecrets, server: LabServer, opts: SshOptions = {}): Promise<OpenedSsh> {
  const login = { username: lab.user, secrets };
  const ip = publicIpOf(stack);
  if (server.host === undefined) {
    const client = await connectDirect(ip, lab.protocol === 'ssh' ? server.port : jumpSshPort(lab), login, opts);
    return { client, close: () => client.end() };
  }
  const jump = await connectJump(stack, lab, secrets, opts);
  try {
    const client = await connectThrough(jump, server.host, server.port, login, opts);
    return {
      client,
      close: () => {
        client.end();
        jump.end();
      },
    };
  } catch (error) {
    jump.end();
    throw error;
  }
}

/**
 * A TCP stream to a desktop port (VNC), carried over SSH to the jump host: the desktop server can then
 * listen on localhost only and needs no password of its own, and no firewall rule exposes it.
 */
export async function openTunnel(stack: Stack, lab: Lab, secrets: StackSecrets, server: LabServer, opts: SshOptions = {}): Promise<OpenedTunnel> {
  const jump = await connectJump(stack, lab, secrets, opts);
  try {
    const stream = await forwardOut(jump, server.host ?? '127.0.0.1', server.port);
    return {
      stream,
      close: () => {
        stream.destroy();
        jump.end();
      },
    };
  } catch (error) {
    jump.end();
    throw error;
  }
}
