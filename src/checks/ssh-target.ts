/**
 * SSH access to the servers of a stack, as the lab user: the jump host is the stack's public IP, any other
 * server is reached by name THROUGH the jump host (a direct-tcpip channel to `<name>:22`, resolved by the jump
 * host), so servers without a public address can be checked too. One connection per server per run.
 *
 * Host keys are not verified: lab servers are created moments before with fresh keys no one can know in
 * advance (hastexo did the same); the channel is still encrypted and authenticated by the stack's key.
 */
import { Client, type ConnectConfig } from 'ssh2';
import type { Duplex } from 'node:stream';

export interface SshCredentials {
  /** The jump host: the stack's public IP. */
  host: string;
  port?: number;
  username: string;
  privateKey?: string;
  password?: string;
}

export class SshError extends Error {
  constructor(
    /** A sentence for the learner. */
    readonly userMessage: string,
    /** Detail for the log (never holds a secret). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'SshError';
  }
}

const CONNECT_TIMEOUT_MS = 20_000;

function connectClient(config: ConnectConfig, label: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const fail = (error: Error) => {
      client.end();
      reject(
        new SshError(
          `Could not log in to ${label} over SSH; the lab may still be starting, try again in a moment.`,
          `ssh ${config.username}@${label}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    client.once('ready', () => {
      client.off('error', fail);
      // Later errors (a dropped connection) surface through the channels that are open at that time.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    client.connect({ ...config, readyTimeout: CONNECT_TIMEOUT_MS, keepaliveInterval: 10_000 });
  });
}

function forward(jump: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
      if (error) {
        reject(
          new SshError(
            `Could not reach the server '${host}' from the lab's jump host.`,
            `ssh forward to ${host}:${port} through the jump host: ${error.message}`,
            { cause: error },
          ),
        );
      } else resolve(stream);
    });
  });
}

/** Opens connections on demand and closes them all at once. */
export class SshTarget {
  private jump?: Promise<Client>;
  private readonly servers = new Map<string, Promise<Client>>();

  constructor(private readonly credentials: SshCredentials) {}

  private auth(): Pick<ConnectConfig, 'username' | 'privateKey' | 'password'> {
    const { username, privateKey, password } = this.credentials;
    return { username, ...(privateKey ? { privateKey } : {}), ...(password ? { password } : {}) };
  }

  /** The client for a server: the jump host when `server` is empty. */
  client(server?: string): Promise<Client> {
    const jump = (this.jump ??= connectClient(
      { host: this.credentials.host, port: this.credentials.port ?? 22, ...this.auth() },
      this.credentials.host,
    ));
    if (!server) return jump;
    let client = this.servers.get(server);
    if (!client) {
      client = jump.then(async (j) => connectClient({ sock: await forward(j, server, 22), ...this.auth() }, server));
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
