/**
 * Running the host tools (ip, nft, lxc-*) the local runtime is built from. Every failure keeps the
 * command and its stderr for the log, never stdin (which may carry keys).
 */
import { execFile, spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} exited with ${code}: ${stderr.trim().slice(0, 2000)}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** Exit codes other than 0 that count as success (e.g. "already exists"). */
  okCodes?: number[];
  env?: NodeJS.ProcessEnv;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof err.code === 'number' ? err.code : null;
        if (code !== null && opts.okCodes?.includes(code)) return resolve(stdout);
        reject(new CommandError([cmd, ...args].join(' '), code, stderr || err.message));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like `run` but never throws: for teardown, where "already gone" is the normal case. */
export async function tryRun(cmd: string, args: string[], opts: RunOptions = {}): Promise<boolean> {
  try {
    await run(cmd, args, opts);
    return true;
  } catch {
    return false;
  }
}

/** Runs a long command and hands each output line to `onLine` (image builds report progress). */
export function runStreaming(cmd: string, args: string[], onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const feed = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new CommandError([cmd, ...args].join(' '), code, tail))));
  });
}

export interface Captured {
  stdout: string;
  stderr: string;
  /** The exit code; null when the command was killed (its timeout) or could not start. */
  code: number | null;
}

/**
 * Runs a command whose failure is an answer, not an error (a learner's script): its output and exit
 * code. `signal` kills it (code null), so a stack deleted mid-way does not wait for a long script.
 */
export function runCaptured(cmd: string, args: string[], opts: RunOptions & { signal?: AbortSignal } = {}): Promise<Captured> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024, env: opts.env ?? process.env, signal: opts.signal },
      (err, stdout, stderr) => {
        const code = !err ? 0 : typeof err.code === 'number' && !err.killed ? err.code : null;
        resolve({ stdout, stderr: err && code === null ? `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}${err.message}` : stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
