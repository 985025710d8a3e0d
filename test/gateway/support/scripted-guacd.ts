/**
 * A SCRIPTED GUACD PEER, not a real guacd: guacd is not packaged in Debian, so CI cannot run one. This
 * TCP server speaks guacd's side of the Guacamole handshake (answers `select` with `args`, waits for
 * `connect`, sends `ready`), records everything stacklab sends, and then does what the test scripts:
 * draw something, refuse, hang up, stay silent, or report that the RDP server refused. Its `args` list
 * and its failure behaviours are what a real guacd 1.5.5 (built from source, against xrdp 0.9.21) was
 * seen to send; like guacd, it ends the connection when told `disconnect`.
 *
 * Joining a running connection is scripted as guacd 1.5.5's src/guacd/connection.c and
 * src/libguac/user-handshake.c do it: `select` naming a connection id (`$…`) of a connection still open
 * (its owner's or a joined user's socket) is answered with the same `args`, then `ready` with that id and
 * the screen as it is; an id it does not know is refused with `error "No such connection." 0x0204` and
 * the socket closed. Like guacd, the connection outlives its owner while a joined user remains: the peer
 * never closes a join because the owner left (the gateway must).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { encodeInstruction, InstructionReader, type Instruction } from '../../../src/gateway/guacamole-protocol.ts';

/** guacd 1.5.5's `args` for rdp, verbatim and in its order. */
export const RDP_ARGS = [
  'VERSION_1_5_0', 'hostname', 'port', 'domain', 'username', 'password', 'width', 'height', 'dpi',
  'initial-program', 'color-depth', 'disable-audio', 'enable-printing', 'printer-name', 'enable-drive',
  'drive-name', 'drive-path', 'create-drive-path', 'disable-download', 'disable-upload', 'console',
  'console-audio', 'server-layout', 'security', 'ignore-cert', 'disable-auth', 'remote-app',
  'remote-app-dir', 'remote-app-args', 'static-channels', 'client-name', 'enable-wallpaper',
  'enable-theming', 'enable-font-smoothing', 'enable-full-window-drag', 'enable-desktop-composition',
  'enable-menu-animations', 'disable-bitmap-caching', 'disable-offscreen-caching', 'disable-glyph-caching',
  'preconnection-id', 'preconnection-blob', 'timezone', 'recording-path', 'recording-name',
  'recording-exclude-output', 'recording-exclude-mouse', 'recording-exclude-touch', 'recording-include-keys',
  'create-recording-path', 'resize-method', 'enable-audio-input', 'enable-touch', 'read-only',
  'gateway-hostname', 'gateway-port', 'gateway-domain', 'gateway-username', 'gateway-password',
  'load-balance-info', 'disable-copy', 'disable-paste', 'wol-send-packet', 'wol-mac-addr',
  'wol-broadcast-addr', 'wol-udp-port', 'wol-wait-time', 'force-lossless', 'normalize-clipboard',
];

/**
 * What the peer does when stacklab connects. `silent`: guacd 1.5.5 whose RDP plugin cannot be loaded
 * neither answers `select` nor closes. `upstream-refused`: guacd sends `ready`, then this `error` when the
 * RDP server cannot be reached, and closes.
 */
export type Behaviour = 'serve' | 'refuse' | 'hang-up' | 'silent' | 'upstream-refused';

export const UPSTREAM_REFUSED = encodeInstruction('error', 'Server refused connection (wrong security type?)', 0x0207);

/** A blue screen with an orange square: what `serve` draws after `ready`. */
export const DRAWING = [
  encodeInstruction('size', 0, 640, 480),
  encodeInstruction('rect', 0, 0, 0, 640, 480),
  encodeInstruction('cfill', 14, 0, 20, 60, 200, 255),
  encodeInstruction('rect', 0, 200, 150, 240, 180),
  encodeInstruction('cfill', 14, 0, 250, 140, 20, 255),
  encodeInstruction('sync', 1000),
].join('');

/** guacd's status for a `select` naming no running connection (GUAC_PROTOCOL_STATUS_RESOURCE_NOT_FOUND). */
export const NO_SUCH_CONNECTION = encodeInstruction('error', 'No such connection.', 0x0204);

export class GuacdConnection {
  /** The connection's id: its own (an owner's), or the one it joined. */
  id: string | undefined;
  /** Whether it joined a running connection rather than starting one. */
  joined = false;
  /** Everything received, in order: `select`, the handshake, then the relayed instructions. */
  readonly received: Instruction[] = [];
  /** `args` name -> the value stacklab put in `connect`. */
  params: Record<string, string> = {};
  private readonly waiters: Array<() => void> = [];

  constructor(readonly socket: Socket) {}

  record(instruction: Instruction): void {
    this.received.push(instruction);
    for (const wake of this.waiters.splice(0)) wake();
  }

  handshake(opcode: string): Instruction | undefined {
    return this.received.find((i) => i.opcode === opcode);
  }

  /** The instructions that arrived after `connect`: what the page sent through the gateway. */
  relayed(): Instruction[] {
    return this.received.slice(this.received.findIndex((i) => i.opcode === 'connect') + 1);
  }

  async waitFor(match: (i: Instruction) => boolean, timeoutMs = 10_000): Promise<Instruction> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`scripted guacd: timed out; received ${this.received.map((i) => i.opcode).join(' ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(text: string): void {
    this.socket.write(text);
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }
}

export class ScriptedGuacd {
  behaviour: Behaviour = 'serve';
  readonly connections: GuacdConnection[] = [];
  private server: Server | undefined;
  private readonly waiters: Array<(c: GuacdConnection) => void> = [];

  private constructor(public port: number) {}

  static async start(): Promise<ScriptedGuacd> {
    const peer = new ScriptedGuacd(0);
    await peer.listen();
    return peer;
  }

  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Listens again on the same port after `stop()`. */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
  }

  /** Stops listening (a guacd that is down) and drops every open connection. */
  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** The users joined to connection `id` (course staff watching it), oldest first. */
  joinsOf(id: string): GuacdConnection[] {
    return this.connections.filter((c) => c.joined && c.id === id);
  }

  /** The next connection stacklab opens: ask before making it open one. */
  nextConnection(timeoutMs = 10_000): Promise<GuacdConnection> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('scripted guacd: no connection from stacklab')), timeoutMs);
      this.waiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  private accept(socket: Socket): void {
    const connection = new GuacdConnection(socket);
    this.connections.push(connection);
    for (const wake of this.waiters.splice(0)) wake(connection);
    const reader = new InstructionReader();
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (text: string) => {
      for (const instruction of reader.push(text)) {
        connection.record(instruction);
        this.answer(connection, instruction);
      }
    });
  }

  private answer(connection: GuacdConnection, instruction: Instruction): void {
    const { socket } = connection;
    if (instruction.opcode === 'disconnect') {
      socket.end();
    } else if (instruction.opcode === 'select' && instruction.args[0]?.startsWith('$')) {
      const id = instruction.args[0];
      if (!this.connections.some((c) => c.id === id && !c.closed)) return void socket.end(NO_SUCH_CONNECTION);
      connection.id = id;
      connection.joined = true;
      socket.write(encodeInstruction('args', ...RDP_ARGS));
    } else if (instruction.opcode === 'select') {
      if (this.behaviour === 'hang-up') return void socket.destroy();
      if (this.behaviour === 'silent') return;
      if (this.behaviour === 'refuse') {
        socket.end(encodeInstruction('error', 'Protocol not supported', 0x0100));
        return;
      }
      socket.write(encodeInstruction('args', ...RDP_ARGS));
    } else if (instruction.opcode === 'connect') {
      connection.params = Object.fromEntries(RDP_ARGS.map((name, i) => [name, instruction.args[i] ?? '']));
      // A joined user gets the running connection's id and its whole screen, as guacd sends them.
      if (connection.joined) return void socket.write(encodeInstruction('ready', connection.id ?? '') + DRAWING);
      connection.id = `$scripted-${this.connections.length}`;
      const ready = encodeInstruction('ready', connection.id);
      if (this.behaviour === 'upstream-refused') return void socket.end(ready + UPSTREAM_REFUSED);
      socket.write(ready + DRAWING);
    }
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
