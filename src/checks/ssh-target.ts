/**
 * SSH access to the servers of a stack for checks and hooks, as the lab user: the jump host is the
 * stack's public IP, any other server is reached by name through the jump host (src/ssh/lab-ssh.ts makes
 * the connections). One connection per server per run, all closed at once; failures become LabConnectionErrors
 * with the sentence the learner sees next to the check.
 */
import type { Client } from 'ssh2';
import type { Lab } from '../domain/lab.ts';
import type { StackSecrets } from '../domain/stack.ts';
import { jumpSshPort } from '../domain/lab-servers.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import { connectDirect, connectThrough, LabSshError, type LabLogin } from '../ssh/lab-ssh.ts';
import { sentence } from '../errors/sentence.ts';

export interface SshCredentials extends LabLogin {
  /** The jump host: the stack's public IP. */
  host: string;
  port?: number;
}

/** A connector failure as checks report it; anything else passes unchanged. */
function forChecks(error: unknown): never {
  if (!(error instanceof LabSshError)) throw error;
  const userMessage = error.reason === 'unreachable-from-jump' ? sentence('check.run.unreachableServer', { host: error.host }) : sentence('check.run.loginFailed', { host: error.host });
  throw new LabConnectionError(error.reason, userMessage, error.message, { cause: error });
}

/** Opens connections on demand and closes them all at once. */
export class SshTarget {
  private jump?: Promise<Client>;
  private readonly servers = new Map<string, Promise<Client>>();

  constructor(private readonly credentials: SshCredentials) {}

  /** The client for a server: the jump host when `server` is empty. */
  client(server?: string): Promise<Client> {
    const { host, port, ...login } = this.credentials;
    const jump = (this.jump ??= connectDirect(host, port ?? 22, login).catch(forChecks));
    if (!server) return jump;
    let client = this.servers.get(server);
    if (!client) {
      client = jump.then((j) => connectThrough(j, server, 22, login).catch(forChecks));
      this.servers.set(server, client);
    }
    return client;
  }

  close(): void {
    for (const pending of [...this.servers.values(), ...(this.jump ? [this.jump] : [])]) {
      pending.then((c) => c.end()).catch(() => undefined);
    }
    this.servers.clear();
    this.jump = undefined;
  }
}

/** The stack's servers as the lab user, through the jump host at `publicIp` on the port the terminal uses. */
export function labSshTarget(publicIp: string, lab: Lab, secrets: StackSecrets): SshTarget {
  return new SshTarget({ host: publicIp, port: jumpSshPort(lab), username: lab.user, privateKey: secrets.privateKey, password: secrets.password });
}
