/**
 * One browser terminal: a WebSocket on one side, an SSH shell (pty) on the other.
 * Backpressure both ways: SSH output pauses while the socket has more than HIGH_WATER bytes unsent;
 * socket input pauses while the SSH channel's window is full. Keepalive: SSH keepalives to the lab,
 * WebSocket pings to the browser, so idle proxies do not cut a quiet terminal.
 */
import type { Logger } from 'pino';
import { plainReport, type ConnectionReport } from './connection-failure-log.ts';
import type { ClientChannel } from 'ssh2';
import type { WebSocket } from 'ws';
import type { OpenedSsh } from './open-target.ts';
import { LabConnectionError } from '../ssh/lab-connection-error.ts';
import { keepAlive } from './socket-keepalive.ts';
import { CLOSE, closeSocket, errorControl, messageBytes, parseControl, sendControl as send, type ServerControl } from './socket-messages.ts';
import { sentence } from '../errors/sentence.ts';

const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;

export interface TerminalBridgeOptions {
  readOnly: boolean;
  cols: number;
  rows: number;
  logger: Logger;
  /** Where connection failures go (a gateway logs a failing one once); plain info lines when absent. */
  report?: ConnectionReport;
  /** Called on each keystroke batch, so the caller can count activity. */
  onInput?: () => void;
  /** Called on each chunk of output (activity-signal.ts decides how long output counts). */
  onOutput?: () => void;
  /**
   * Called once the shell is open with what others may do with it (write, tell the learner); returns
   * where the shell's output also goes (shadowing watchers, a recording) and the shell's end.
   */
  onShell?: (io: ShellIo) => ShellTap | Promise<ShellTap>;
}

export interface ShellIo {
  write(bytes: Buffer): void;
  notify(message: ServerControl): void;
  size(): { cols: number; rows: number };
}

export interface ShellTap {
  output(chunk: Buffer): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

export function bridgeTerminal(ws: WebSocket, open: () => Promise<OpenedSsh>, opts: TerminalBridgeOptions): void {
  const report = opts.report ?? plainReport(opts.logger);
  let target: OpenedSsh | undefined;
  let shell: ClientChannel | undefined;
  let closed = false;
  let size = { cols: opts.cols, rows: opts.rows };
  const early: Buffer[] = [];
  let unsent = 0;
  let tap: ShellTap | undefined;
  let browserBehind = false;
  const flowing = () => !browserBehind && unsent < LOW_WATER;

  const finish = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    keepalive.stop();
    tap?.close();
    shell?.end();
    target?.close();
    closeSocket(ws, code, reason);
  };

  const keepalive = keepAlive(ws, () => finish(CLOSE.error, 'browser stopped answering pings'));

  ws.on('message', (data, isBinary) => {
    keepalive.heard();
    if (!isBinary) {
      const control = parseControl(data.toString());
      if (control?.type === 'ping') send(ws, { type: 'pong' });
      if (control?.type === 'pause') {
        browserBehind = true;
        shell?.pause();
      }
      if (control?.type === 'resume') {
        browserBehind = false;
        if (flowing()) shell?.resume();
      }
      if (control?.type === 'resize') {
        size = { cols: control.cols, rows: control.rows };
        shell?.setWindow(size.rows, size.cols, 0, 0);
        tap?.resize(size.cols, size.rows);
      }
      return;
    }
    if (opts.readOnly) return;
    const bytes = messageBytes(data);
    opts.onInput?.();
    if (!shell) {
      early.push(bytes);
      return;
    }
    if (!shell.write(bytes)) {
      ws.pause();
      shell.once('drain', () => ws.resume());
    }
  });
  ws.on('close', () => finish(CLOSE.normal, 'browser closed'));
  ws.on('error', (error) => {
    opts.logger.debug({ err: error }, 'terminal socket error');
    finish(CLOSE.error, 'socket error');
  });

  send(ws, { type: 'status', state: 'connecting', message: 'Connecting to the lab…' });
  void (async () => {
    try {
      target = await open();
      if (closed) return target.close();
      shell = await new Promise<ClientChannel>((resolve, reject) =>
        target!.client.shell({ term: 'xterm-256color', cols: size.cols, rows: size.rows }, (error, channel) => (error ? reject(error) : resolve(channel))),
      );
      if (closed) return finish(CLOSE.normal, 'closed');
      target.client.on('error', (error) => {
        report.failed('terminal ssh connection failed', error);
        send(ws, errorControl(sentence('screen.connectionLost'), true));
        finish(CLOSE.error, 'ssh connection lost');
      });
      target.client.on('close', () => finish(CLOSE.error, 'ssh connection closed'));
      const opened = shell;
      tap = await opts.onShell?.({ write: (bytes) => opened.write(bytes), notify: (message) => send(ws, message), size: () => size });
      if (closed) return tap?.close();
      shell.on('data', (chunk: Buffer) => {
        tap?.output(chunk);
        if (ws.readyState !== ws.OPEN) return;
        opts.onOutput?.();
        unsent += chunk.length;
        ws.send(chunk, { binary: true }, () => {
          unsent -= chunk.length;
          if (flowing() && shell?.isPaused()) shell.resume();
        });
        if (unsent > HIGH_WATER) shell!.pause();
      });
      shell.stderr.on('data', (chunk: Buffer) => {
        tap?.output(chunk);
        if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
      });
      shell.on('exit', (code: number | null) => send(ws, { type: 'exit', code }));
      shell.on('close', () => finish(CLOSE.normal, 'shell ended'));
      for (const bytes of early.splice(0)) shell.write(bytes);
      report.connected();
      send(ws, { type: 'status', state: 'connected', message: 'Connected.' });
    } catch (error) {
      const said = (error instanceof LabConnectionError && error.said) || sentence('screen.couldNotConnect');
      report.failed('terminal connection failed', error as Error);
      send(ws, errorControl(said, true));
      finish(CLOSE.error, 'could not connect');
    }
  })();
}
