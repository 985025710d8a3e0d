/**
 * SSH from the server to a lab, in one place: a login to the jump host (the stack's public_ip) or to
 * a server behind it, reached THROUGH the jump host (a direct-tcpip channel to `<host>:<port>` as the
 * jump host resolves it, so servers without a public address work too), with the stack's private key
 * or password. The gateway (terminals, desktop tunnels) and the progress checks (scripts, hooks,
 * `stacklab test`) connect here; each turns a `LabSshError` into a sentence of its own by `reason`.
 *
 * Host keys are not verified: lab servers are created moments before with fresh keys no one can know
 * in advance (hastexo did the same); the channel is still encrypted and authenticated by the stack's key.
 */
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';

/** Who logs in: the lab's user with the stack's key and/or password (credentials stay on the server). */
export interface LabLogin {
  username: string;
  privateKey?: string;
  password?: string;
}

export interface LabSshOptions {
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}

/**
 * Why a connection failed:
 *   no-credentials         the stack has neither a private key nor a password (yet)
 *   login-refused          an SSH server answered and refused the login
 *   no-answer              no SSH server answered in time (starting, stopped, frozen, unreachable)
 *   unreachable-from-jump  the jump host could not open a channel to the server behind it
 */
export type LabSshReason = 'no-credentials' | 'login-refused' | 'no-answer' | 'unreachable-from-jump';

export class LabSshError extends Error {
  constructor(
    readonly reason: LabSshReason,
    /** The server as the caller named it (an address, or a host name the jump host resolves). */
    readonly host: string,
    readonly port: number,
    /** Detail for the log; never holds a secret. */
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'LabSshError';
  }
}

function connectConfig(login: LabLogin, host: string, port: number, opts: LabSshOptions): ConnectConfig {
  if (!login.privateKey && !login.password) {
    throw new LabSshError('no-credentials', host, port, `ssh ${login.username}@${host}:${port}: the stack has neither private_key nor password`);
  }
  return {
    username: login.username,
    ...(login.privateKey ? { privateKey: login.privateKey } : {}),
    ...(login.password ? { password: login.password } : {}),
    // Some images ask for the password by keyboard-interactive only.
    tryKeyboard: Boolean(login.password),
    readyTimeout: opts.readyTimeoutMs ?? 20_000,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 3,
    hostVerifier: () => true,
  };
}

function logIn(config: ConnectConfig, host: string, port: number, where: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let failed = false;
    // ssh2 may emit a second error while the first one's end() closes the connection (a peer that
    // drops it mid-handshake): a listener stays, or that second error would crash the process.
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      client.end();
      const reason = /authentication/i.test(error.message) ? 'login-refused' : 'no-answer';
      reject(new LabSshError(reason, host, port, `ssh ${config.username}@${where}: ${error.message}`, { cause: error }));
    };
    client.on('error', fail);
    client.once('ready', () => {
      client.off('error', fail);
      // A later failure (a dropped connection, missed keepalives) must not crash the process: it
      // also closes the client and its channels, which is what callers watch.
      client.on('error', () => undefined);
      resolve(client);
    });
    if (config.password) {
      client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => config.password ?? '')));
    }
    client.connect(config);
  });
}

/** Logs in to `host:port` (the jump host, or a lab server with its own address). */
export async function connectDirect(host: string, port: number, login: LabLogin, opts: LabSshOptions = {}): Promise<Client> {
  return logIn({ ...connectConfig(login, host, port, opts), host, port }, host, port, `${host}:${port}`);
}

/** A TCP stream from the jump host to `host:port` (a server behind it, or a port on the jump host itself). */
export function forwardOut(jump: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
      if (error) {
        reject(new LabSshError('unreachable-from-jump', host, port, `ssh forward to ${host}:${port} through the jump host: ${error.message}`, { cause: error }));
      } else resolve(stream);
    });
  });
}

/** Logs in to `host:port` as seen from the jump host, carried inside the jump host's connection. */
export async function connectThrough(jump: Client, host: string, port: number, login: LabLogin, opts: LabSshOptions = {}): Promise<Client> {
  const config = connectConfig(login, host, port, opts);
  const sock = await forwardOut(jump, host, port);
  return logIn({ ...config, sock }, host, port, `${host}:${port} via jump host`);
}
