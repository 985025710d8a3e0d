/**
 * Runs a script text on a server over an SSH connection, the way hastexo did: upload it to a temporary file
 * (through stdin, so no sftp subsystem is needed), make it executable, run it, remove it.
 *
 * The time limit is kept twice: the remote `timeout` kills the script and everything it started where
 * coreutils exist, and a local timer closes the channel a few seconds later in case the remote side
 * does not honour it, so a hanging script can never hold a check run forever.
 */
import type { Client, ClientChannel } from 'ssh2';

export interface ScriptResult {
  exitCode: number | null;
  /** The signal that ended the script (e.g. 'SIGKILL'), when one did. */
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

const MAX_OUTPUT = 64 * 1024;
/** How much longer than the remote limit the local timer waits before it cuts the channel. */
const BACKSTOP_MS = 5_000;

interface Collected {
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  cut: boolean;
}

/**
 * Runs one command and collects its output until the channel closes or `limitMs` passes (then it is cut).
 * The listeners are attached inside exec's callback, synchronously: a quick command's exit status can arrive
 * in the same TCP read as the exec confirmation, and an `exit` event emitted before anyone listens is lost.
 */
function execCollect(client: Client, command: string, input: string | null, limitMs: number): Promise<Collected> {
  return new Promise((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let cut = false;
    // The limit also covers opening the channel, which never completes on a frozen or wedged server.
    const timer = setTimeout(() => {
      cut = true;
      if (!channel) return reject(new Error(`the server did not open a session within ${Math.round(limitMs / 1000)} s`));
      channel.signal('KILL');
      channel.close();
    }, limitMs);
    client.exec(command, (error: Error | undefined, opened: ClientChannel) => {
      if (error || cut) {
        clearTimeout(timer);
        if (!error) opened.close();
        return reject(error ?? new Error('session opened too late'));
      }
      channel = opened;
      let stdout = '';
      let stderr = '';
      let exitCode: number | null = null;
      let signal: string | undefined;
      const append = (current: string, chunk: Buffer) => (current.length < MAX_OUTPUT ? (current + chunk.toString('utf8')).slice(0, MAX_OUTPUT) : current);
      channel.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
      channel.stderr.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
      channel.on('exit', (code: number | null, signalName?: string) => {
        exitCode = typeof code === 'number' ? code : null;
        signal = signalName;
      });
      channel.on('close', () => {
        clearTimeout(timer);
        resolve({ exitCode, signal, stdout, stderr, cut });
      });
      if (input !== null) channel.end(input);
      else channel.end();
    });
  });
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Uploads and runs `script` with `args`; resolves (never rejects for the script's own failure) with its exit
 * code and output. Rejects only when the connection cannot run commands at all.
 */
export async function runRemoteScript(client: Client, script: string, options: { timeoutMs: number; args?: string[]; input?: string }): Promise<ScriptResult> {
  const started = Date.now();
  const upload = await execCollect(client, `t=$(mktemp "\${TMPDIR:-/tmp}/stacklab-XXXXXXXX") && cat > "$t" && chmod 700 "$t" && printf %s "$t"`, script, 30_000);
  const path = upload.stdout.trim();
  if (upload.exitCode !== 0 || !path.startsWith('/')) {
    throw new Error(`cannot upload the script (exit ${upload.exitCode}): ${upload.stderr.trim().slice(0, 500)}`);
  }
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const args = (options.args ?? []).map(quote).join(' ');
  // `rm` runs after the script in the same shell, so the file goes even when `timeout` killed the script.
  const command =
    `if command -v timeout >/dev/null 2>&1; then timeout -k 2 ${seconds} ${quote(path)} ${args}; ` +
    `else ${quote(path)} ${args}; fi; rc=$?; rm -f ${quote(path)}; exit $rc`;
  // Input (say, credentials) goes on the script's stdin, never on a command line other users could read.
  const run = await execCollect(client, command, options.input ?? null, seconds * 1000 + BACKSTOP_MS);
  const durationMs = Date.now() - started;
  // 124: timeout sent TERM; 137: it had to send KILL. A script exiting 124 by itself before the limit is not a timeout.
  const killedByTimeout = (run.exitCode === 124 || run.exitCode === 137) && durationMs >= seconds * 1000 - 250;
  if (run.cut) {
    await execCollect(client, `rm -f ${quote(path)}`, null, 5_000).catch(() => undefined);
  }
  return {
    exitCode: run.cut ? null : run.exitCode,
    ...(run.signal ? { signal: run.signal } : {}),
    stdout: run.stdout,
    stderr: run.stderr,
    timedOut: run.cut || killedByTimeout,
    durationMs,
  };
}
