/**
 * SSH from the server to a lab: to the jump host at the stack's public_ip with the stack's key (or
 * password), and on to other servers of the stack through it. Credentials stay on the server.
 */
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import type { StackSecrets } from '../domain/stack.ts';

export interface SshLogin {
  username: string;
  secrets: StackSecrets;
}

export interface SshOptions {
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

export class GatewayError extends Error {
  constructor(
    /** A sentence for the learner. */
    readonly userMessage: string,
    /** Detail for the log. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'GatewayError';
  }
}

function connectConfig(login: SshLogin, opts: SshOptions): ConnectConfig {
  if (!login.secrets.privateKey && !login.secrets.password) {
    throw new GatewayError('The lab has no login credentials yet; wait for it to finish starting.', 'stack has neither private_key nor password');
  }
  return {
    username: login.username,
    ...(login.secrets.privateKey ? { privateKey: login.secrets.privateKey } : {}),
    ...(login.secrets.password ? { password: login.secrets.password } : {}),
    tryKeyboard: Boolean(login.secrets.password),
    readyTimeout: opts.readyTimeoutMs ?? 20_000,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 3,
    // Lab servers are created per learner moments before and reached over the platform's own network;
    // there is no earlier host key to compare with.
    hostVerifier: () => true,
  };
}

function connectWith(config: ConnectConfig, where: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const fail = (error: Error) => {
      client.end();
      reject(
        new GatewayError(
          /authentication/i.test(error.message)
            ? 'The lab refused the login; if you reset the lab recently, wait a moment and reconnect.'
            : 'The lab server does not answer yet; it may still be starting. Reconnecting…',
          `ssh ${where}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    client.once('error', fail);
    client.once('ready', () => {
      client.off('error', fail);
      resolve(client);
    });
    if (config.password) {
      client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => config.password ?? '')));
    }
    client.connect(config);
  });
}

export function connectDirect(host: string, port: number, login: SshLogin, opts: SshOptions = {}): Promise<Client> {
  return connectWith({ ...connectConfig(login, opts), host, port }, `${host}:${port}`);
}

export function forwardOut(client: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
      if (error) {
        reject(new GatewayError(`The lab server "${host}" cannot be reached from the jump host yet.`, `forwardOut ${host}:${port}: ${error.message}`, { cause: error }));
      } else resolve(stream);
    });
  });
}

/** An SSH connection to `host:port` as seen from the jump host, carried inside the jump host's connection. */
export async function connectThrough(jump: Client, host: string, port: number, login: SshLogin, opts: SshOptions = {}): Promise<Client> {
  const sock = await forwardOut(jump, host, port);
  return connectWith({ ...connectConfig(login, opts), sock }, `${host}:${port} via jump host`);
}
