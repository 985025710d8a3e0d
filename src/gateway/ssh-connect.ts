/**
 * The gateway's SSH to a lab: the connection itself is made by src/ssh/lab-ssh.ts (the one connector
 * the checks use as well); here its failures become LabConnectionErrors, with the sentence a learner reads
 * in the terminal or desktop. Credentials stay on the server.
 */
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import type { StackSecrets } from '../domain/stack.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import * as labSsh from '../ssh/lab-ssh.ts';
import { sentence, type Sentence } from '../errors/sentence.ts';

export interface SshLogin {
  username: string;
  secrets: StackSecrets;
}

export type SshOptions = labSsh.LabSshOptions;

const USER_MESSAGES: Record<labSsh.LabSshReason, (host: string) => Sentence> = {
  'no-credentials': () => sentence('screen.noCredentials'),
  'login-refused': () => sentence('screen.loginRefused'),
  'no-answer': () => sentence('screen.noAnswer'),
  'unreachable-from-jump': (host) => sentence('screen.unreachableFromJump', { host }),
};

/** A connector failure as the gateway reports it; anything else passes unchanged. */
function forGateway(error: unknown): never {
  if (error instanceof labSsh.LabSshError) throw new LabConnectionError(error.reason, USER_MESSAGES[error.reason](error.host), error.message, { cause: error });
  throw error;
}

const labLogin = (login: SshLogin): labSsh.LabLogin => ({ username: login.username, ...login.secrets });

export function connectDirect(host: string, port: number, login: SshLogin, opts: SshOptions = {}): Promise<Client> {
  return labSsh.connectDirect(host, port, labLogin(login), opts).catch(forGateway);
}

export function forwardOut(client: Client, host: string, port: number): Promise<Duplex> {
  return labSsh.forwardOut(client, host, port).catch(forGateway);
}

/** An SSH connection to `host:port` as seen from the jump host, carried inside the jump host's connection. */
export function connectThrough(jump: Client, host: string, port: number, login: SshLogin, opts: SshOptions = {}): Promise<Client> {
  return labSsh.connectThrough(jump, host, port, labLogin(login), opts).catch(forGateway);
}
