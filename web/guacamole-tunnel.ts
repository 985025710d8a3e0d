/**
 * A Guacamole tunnel over the gateway's WebSocket. guacamole-common-js's WebSocketTunnel offers only the
 * "guacamole" sub-protocol, and stacklab's connection token travels as a sub-protocol (never in the URL),
 * so the page has its own tunnel. It speaks the same wire format as the gateway
 * (src/gateway/guacamole-protocol.ts, shared): lengths in code points, instructions cut whole.
 * It opens when the gateway sends the internal instruction with guacd's connection id, after the
 * server-side handshake; an `error` instruction before that is the gateway's sentence for the learner,
 * whose catalogue key and values (after Guacamole's message and status) it keeps in `said`. Later
 * internal instructions are the gateway's control for a watcher's view (src/gateway/rdp-shadow-bridge.ts).
 */
import Guacamole from 'guacamole-common-js';
import { encodeInstruction, InstructionReader } from '../src/gateway/guacamole-protocol.ts';
import { t } from './i18n.ts';

const { State } = Guacamole.Tunnel;

/** The gateway's sentence: a catalogue key and its values (src/gateway/rdp-bridge.ts, `errorInstruction`). */
export interface GatewaySentence {
  key: string;
  values: Record<string, string | number>;
}

function gatewaySentence(args: string[]): GatewaySentence | undefined {
  if (!args[2]) return undefined;
  try {
    const values: unknown = JSON.parse(args[3] ?? '{}');
    return { key: args[2], values: typeof values === 'object' && values !== null ? (values as GatewaySentence['values']) : {} };
  } catch {
    return { key: args[2], values: {} };
  }
}

export class GatewayTunnel extends Guacamole.Tunnel {
  /** The gateway's own error, before guacd's session opened. */
  said: GatewaySentence | undefined;
  /** The gateway's internal instructions after the tunnel opened (a watcher's `mode` and `ended`). */
  oncontrol: ((args: string[]) => void) | undefined;
  private socket: WebSocket | undefined;
  private readonly reader = new InstructionReader();

  constructor(
    private readonly url: string,
    private readonly protocols: string[],
  ) {
    super();
  }

  // Guacamole.Tunnel sets its methods on the instance in its constructor; fields replace them after it.
  override connect = (data?: string): void => {
    this.setState(State.CONNECTING);
    const socket = new WebSocket(data ? `${this.url}?${data}` : this.url, this.protocols);
    this.socket = socket;
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      let instructions;
      try {
        instructions = this.reader.push(String(event.data));
      } catch {
        return this.close(new Guacamole.Status(Guacamole.Status.Code.SERVER_ERROR, t('screen.desktopGarbled')));
      }
      for (const { opcode, args } of instructions) {
        if (opcode === '') {
          if (this.uuid === null && args.length === 1) {
            this.setUUID(args[0]);
            this.setState(State.OPEN);
          } else if (this.uuid !== null) this.oncontrol?.(args);
          continue;
        }
        if (opcode === 'error' && this.uuid === null) this.said ??= gatewaySentence(args);
        this.oninstruction?.(opcode, args);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      // The close reason is the gateway's English, for logs (a refused token closes with 'not authorised'):
      // the learner reads the page's own sentence; the gateway's, when it had one, came in `said`.
      const status =
        event.code === 1000
          ? new Guacamole.Status(Guacamole.Status.Code.SUCCESS)
          : new Guacamole.Status(Guacamole.Status.Code.UPSTREAM_UNAVAILABLE, t('screen.desktopInterrupted'));
      this.close(status);
    };
  };

  override sendMessage = (...elements: unknown[]): void => {
    if (!this.isConnected() || elements.length === 0 || this.socket?.readyState !== WebSocket.OPEN) return;
    const [opcode, ...args] = elements.map(String);
    this.socket.send(encodeInstruction(opcode, ...args));
  };

  override disconnect = (): void => {
    this.close(new Guacamole.Status(Guacamole.Status.Code.SUCCESS));
  };

  private close(status: Guacamole.Status): void {
    if (this.state === State.CLOSED) return;
    if (status.code !== Guacamole.Status.Code.SUCCESS) this.onerror?.(status);
    this.setState(State.CLOSED);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }
}
