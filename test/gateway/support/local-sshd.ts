/**
 * A real OpenSSH server for gateway tests: /usr/sbin/sshd on 127.0.0.1, a fresh port, its own host key
 * and an authorized key made for the test, logging in as the user running the tests. Stopped by `stop()`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { freePort } from '../../support/free-port.ts';

export const SSHD = '/usr/sbin/sshd';
export const HAVE_SSHD = existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen');

export interface LocalSshd {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  privateKeyFile: string;
  dir: string;
  stop(): Promise<void>;
}

export { freePort };

function keygen(file: string): void {
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { stdio: 'ignore' });
}

async function waitForLogin(port: number, user: string, privateKey: string, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const client = new Client();
      client.once('ready', () => (client.end(), resolve(true)));
      client.once('error', () => resolve(false));
      client.connect({ host: '127.0.0.1', port, username: user, privateKey, readyTimeout: 2000 });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd on port ${port} did not accept a login in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startSshd(): Promise<LocalSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'stacklab-sshd-'));
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'user_ed25519'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      'ListenAddress 127.0.0.2',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'PrintMotd no',
      'LogLevel ERROR',
      'MaxStartups 100',
      'MaxSessions 50',
    ].join('\n') + '\n',
  );
  // sshd refuses to start without its privilege-separation directory.
  execFileSync('mkdir', ['-p', '/run/sshd']);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const privateKey = readFileSync(join(dir, 'user_ed25519'), 'utf8');
  try {
    await waitForLogin(port, user, privateKey, Date.now() + 10_000);
  } catch (error) {
    child.kill();
    throw new Error(`${(error as Error).message}; sshd said: ${stderr.trim()}`, { cause: error });
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    privateKey,
    privateKeyFile: join(dir, 'user_ed25519'),
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
