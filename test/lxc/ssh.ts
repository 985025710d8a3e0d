/** SSH to lab servers with ssh2, as the platform's gateway does: exec a command, or wait for a login. */
import { Client } from 'ssh2';

export interface SshTarget {
  host: string;
  username: string;
  privateKey: string;
  port?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export function sshExec(target: SshTarget, command: string, timeoutMs = 30_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    const timer = setTimeout(() => {
      conn.end();
      reject(new Error(`ssh ${target.username}@${target.host}: timed out after ${timeoutMs} ms running: ${command}`));
    }, timeoutMs);
    conn
      .on('ready', () => {
        conn.exec(command, (err, stream) => {
          if (err) {
            clearTimeout(timer);
            conn.end();
            return reject(err);
          }
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d.toString()));
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          stream.on('close', (code: number | null) => {
            clearTimeout(timer);
            conn.end();
            resolve({ stdout, stderr, code });
          });
        });
      })
      .on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      })
      .connect({ host: target.host, port: target.port ?? 22, username: target.username, privateKey: target.privateKey, readyTimeout: Math.min(timeoutMs, 10_000) });
  });
}

/** Retries a login (running `true`) until it works or the deadline passes; returns when it worked. */
export async function waitForLogin(target: SshTarget, timeoutMs = 60_000): Promise<number> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      const r = await sshExec(target, 'true', 5_000);
      if (r.code === 0) return Date.now() - start;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no SSH login to ${target.username}@${target.host} within ${timeoutMs} ms: ${(last as Error)?.message}`);
}
