/**
 * Where guacd connects for one RDP session. A server without a host is the stack's public_ip, reached
 * by guacd directly (a Windows lab has no SSH to tunnel through). A server with a host sits behind the
 * jump host: a TCP listener on 127.0.0.1 forwards each connection guacd makes through the jump host's
 * SSH connection (ssh2 forwardOut), for the life of the session only, and takes new connections only in
 * the first `rdp_forward_window` seconds (RDP negotiation may reconnect; later, any local process could
 * use the listener to reach the lab's desktop). 127.0.0.1 is reachable only by a
 * guacd on this machine, so with a remote guacd such a server is refused with a clear message rather
 * than handed an address that cannot work.
 */
import { createServer, isIP, type Socket } from 'node:net';
import type { Lab } from '../domain/lab.ts';
import type { Stack, StackSecrets } from '../domain/stack.ts';
import { GUAC_STATUS } from './guacamole-protocol.ts';
import { GuacStatusError } from './guac-status-error.ts';
import type { LabServer } from '../domain/lab-servers.ts';
import { connectJump, publicIpOf } from './open-target.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import { forwardOut, type SshOptions } from './ssh-connect.ts';
import { sentence } from '../errors/sentence.ts';

export interface RdpTarget {
  /** Host and port as guacd should connect to them. */
  hostname: string;
  port: number;
  /** Takes no new connections from now on; those already forwarded carry on. */
  stopAccepting(): void;
  close(): void;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

export async function openRdpTarget(stack: Stack, lab: Lab, secrets: StackSecrets, server: LabServer, guacdIsLocal: boolean, opts: SshOptions = {}): Promise<RdpTarget> {
  const publicIp = publicIpOf(stack);
  const host = server.host;
  if (host === undefined) return { hostname: publicIp, port: server.port, stopAccepting: () => undefined, close: () => undefined };
  if (!guacdIsLocal) {
    throw new GuacStatusError(
      sentence('screen.desktopBehindJump', { server: server.name }),
      `server ${server.name} (${server.host}:${server.port}) needs a forward on 127.0.0.1, but guacd is not on this machine`,
      GUAC_STATUS.serverError,
    );
  }
  const jump = await connectJump(stack, lab, secrets, opts);
  const open = new Set<Socket>();
  const listener = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.pause();
    forwardOut(jump, host, server.port).then(
      (stream) => {
        if (socket.destroyed) return void stream.destroy();
        socket.pipe(stream).pipe(socket);
        stream.on('error', () => socket.destroy());
        stream.on('close', () => socket.destroy());
        socket.on('close', () => stream.destroy());
        socket.resume();
      },
      () => socket.destroy(),
    );
  });
  const close = () => {
    listener.close();
    for (const socket of open) socket.destroy();
    jump.end();
  };
  jump.on('close', close);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => {
        const address = listener.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    listener.on('error', close);
    return { hostname: '127.0.0.1', port, stopAccepting: () => listener.close(), close };
  } catch (error) {
    close();
    throw new LabConnectionError('desktop-unavailable', sentence('screen.desktopUnprepared'), `rdp forward listener: ${(error as Error).message}`, { cause: error });
  }
}
