/**
 * A stand-in lab stack for the checks tests when the local runtime is not available: real OpenSSH servers in
 * a network namespace of their own, reachable from the host at a "public IP" on a veth pair, with a lab user
 * that exists only inside the namespace's mount namespace (bind-mounted passwd/shadow/group), logging in with
 * a key generated here. A second server, `server2`, listens on 127.0.0.2:22 inside the namespace under its
 * own hostname, so only the jump host can reach it, by name, as in a multi-server lab. The jump host's sshd
 * listens on port 22 unless `sshPort` says otherwise (a lab whose `port` is not 22); `server2` stays on 22.
 * Needs root, `ip`, `unshare` and `sshd`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { SshTarget } from '../../../src/checks/ssh-target.ts';
import { runRemoteScript } from '../../../src/checks/remote-script.ts';
import { IS_ROOT } from '../../support/prerequisite.ts';

export const SSHD_PRESENT = IS_ROOT && existsSync('/usr/sbin/sshd') && existsSync('/usr/sbin/ip') && existsSync('/usr/bin/unshare');
export const SSHD_WHY = 'needs root, /usr/sbin/sshd (openssh-server), ip (iproute2) and unshare (util-linux)';

export interface LabSshdOptions {
  /** The port of the jump host's sshd, as a lab's `port` setting names it. */
  sshPort?: number;
}

export interface LabSshd {
  host: string;
  /** The jump host's SSH port. */
  port: number;
  user: string;
  privateKey: string;
  /** Runs a shell command as the lab user on the jump host (or `server2`), as a learner would in the terminal. */
  learner(command: string, server?: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
  /** SIGSTOP freezes every process of the lab (its sshds and their sessions), SIGCONT thaws them: a suspend. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void;
  stop(): Promise<void>;
}

function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd on ${host}:${port} did not start`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startLabSshd(user = 'training', options: LabSshdOptions = {}): Promise<LabSshd> {
  const sshPort = options.sshPort ?? 22;
  const tag = randomBytes(3).toString('hex');
  const netns = `slck-${tag}`;
  const hostIf = `slh${tag}`;
  const nsIf = `slp${tag}`;
  const octet = randomInt(0, 64) * 4;
  const third = randomInt(0, 256);
  const hostIp = `10.251.${third}.${octet + 1}`;
  const labIp = `10.251.${third}.${octet + 2}`;
  const dir = mkdtempSync(join(tmpdir(), 'stacklab-sshd-'));
  chmodSync(dir, 0o755);
  const uid = 61000 + randomInt(0, 3000);
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stacklab-test', '-f', join(dir, 'id')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
  writeFileSync(join(home, '.ssh', 'authorized_keys'), readFileSync(join(dir, 'id.pub')));
  for (const path of [home, join(home, '.ssh'), join(home, '.ssh', 'authorized_keys')]) chownSync(path, uid, uid);
  writeFileSync(join(dir, 'passwd'), readFileSync('/etc/passwd', 'utf8') + `${user}:x:${uid}:${uid}:lab user:${home}:/bin/bash\n`);
  writeFileSync(join(dir, 'group'), readFileSync('/etc/group', 'utf8') + `${user}:x:${uid}:\n`);
  writeFileSync(join(dir, 'shadow'), readFileSync('/etc/shadow', 'utf8') + `${user}:*:19000:0:99999:7:::\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n${labIp} jump\n127.0.0.2 server2\n`);
  const config = (listen: string, port: number) =>
    [
      `ListenAddress ${listen}:${port}`,
      `HostKey ${join(dir, 'host')}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `AllowUsers ${user}`,
      'AllowTcpForwarding yes',
      'PrintMotd no',
      `PidFile ${join(dir, `sshd-${listen}-${port}.pid`)}`,
    ].join('\n') + '\n';
  writeFileSync(join(dir, 'jump.conf'), config(labIp, sshPort));
  writeFileSync(join(dir, 'server2.conf'), config('127.0.0.2', 22));
  mkdirSync('/run/sshd', { recursive: true });

  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('netns', 'add', netns);
  let child: ChildProcess | undefined;
  const netnsPids = (): number[] => {
    try {
      return execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of netnsPids()) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  };
  const stop = async () => {
    // Thaw first: a stopped process only acts on SIGTERM once it runs again.
    signalAll('SIGCONT');
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    // Learner sessions left running (their own process groups) go too, so the namespace can be removed.
    signalAll('SIGKILL');
    try {
      ip('netns', 'del', netns);
    } catch {}
    try {
      ip('link', 'del', hostIf);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', netns);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('-n', netns, 'addr', 'add', `${labIp}/30`, 'dev', nsIf);
    ip('-n', netns, 'link', 'set', nsIf, 'up');
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    const script = [
      'set -e',
      `for f in passwd group shadow hosts; do mount --bind ${dir}/$f /etc/$f; done`,
      `unshare -u sh -c 'hostname jump; exec /usr/sbin/sshd -D -e -f ${dir}/jump.conf' &`,
      `unshare -u sh -c 'hostname server2; exec /usr/sbin/sshd -D -e -f ${dir}/server2.conf' &`,
      'wait',
    ].join('\n');
    child = spawn('ip', ['netns', 'exec', netns, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', script], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitForPort(labIp, sshPort, 10_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${log}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const privateKey = readFileSync(join(dir, 'id'), 'utf8');
  return {
    host: labIp,
    port: sshPort,
    user,
    privateKey,
    async learner(command, server) {
      const target = new SshTarget({ host: labIp, port: sshPort, username: user, privateKey });
      try {
        const result = await runRemoteScript(await target.client(server), `#!/bin/bash\n${command}\n`, { timeoutMs: 30_000 });
        return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
      } finally {
        target.close();
      }
    },
    signal: signalAll,
    stop,
  };
}
