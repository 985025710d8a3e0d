/**
 * The server-side fence of a read-only desktop: it follows the browser's client-to-server RFB stream
 * (RFC 6143) through the handshake and then message by message, forwards what only shapes the view
 * (pixel format, encodings, update requests, fences) and drops input (keys, pointer, clipboard, desktop
 * size, xvp power actions, QEMU key events, gii). The page's noVNC viewOnly is a courtesy; this is the rule.
 *
 * Bytes may arrive split or merged in any way: the filter keeps an incomplete message until the rest
 * comes, and discards a dropped message as its bytes arrive (a large clipboard is never held in memory).
 * Why this is safe even against a hand-made client: the VNC server only ever sees the whole messages
 * the filter framed and chose to forward, none of which is input, so it cannot be tricked into reading
 * a key event out of the middle of something else.
 *
 * Handshake: a client-chosen security type None (1) or VNC authentication (2) is followed; anything else
 * (VeNCrypt, Tight, ...) negotiates in ways this filter cannot follow and is refused. The lab desktop's
 * Xvnc offers None only (labs/desktop: `-SecurityTypes None`, reached through SSH). RFB 3.3, where the
 * server and not the client picks the security type, is refused too; Xvnc and noVNC speak 3.8.
 * The ClientInit shared flag is forced to 1, so a viewer never disconnects the desktop's other users.
 *
 * An instructor watching a learner's desktop (desktop-shadow-bridge.ts) goes through the same filter, and
 * a take-over opens it: `allowInput(true)` forwards input as whole messages, still framed one by one, so
 * closing it again later cuts no message in half; `allowInput(false)` returns the releases of whatever
 * keys and buttons the instructor still held (rfb-held-input.ts), so none stays down on the learner's desktop.
 */
import { HeldInput } from './rfb-held-input.ts';
import { EXTENDED_MOUSE_BUTTONS, frameClientMessage, listsEncoding, UnknownRfbMessage } from './rfb-client-messages.ts';

export class RfbFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RfbFilterError';
  }
}

type Phase = 'version' | 'security' | 'vnc-auth' | 'client-init' | 'messages' | 'refused';

const VERSION = /^RFB 003\.00[78]\n$/;
const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
const EMPTY = Buffer.alloc(0);

export class RfbInputFilter {
  private phase: Phase = 'version';
  /** The start of a message (or handshake step) whose rest has not arrived yet. */
  private pending: Buffer = EMPTY;
  /** Bytes of a dropped message still to come and be discarded. */
  private discard = 0;
  private readonly framing = { extendedMouse: false };
  /** Counts of dropped input messages by name, for the log when the connection ends. */
  readonly dropped = new Map<string, number>();
  /** Input passes (a take-over); off for a read-only grant, which never turns it on. */
  private inputAllowed = false;
  private readonly held = new HeldInput();

  /**
   * Lets input through from the next message on, or stops it. Stopping returns the messages that release
   * the keys and buttons still held, to send to the VNC server at once: the filter only ever forwards
   * whole messages, so they cannot land inside another one.
   */
  allowInput(allowed: boolean): Buffer {
    this.inputAllowed = allowed;
    return allowed ? EMPTY : Buffer.concat(this.held.releases());
  }

  /**
   * Takes the next chunk from the browser and returns the bytes to send on to the VNC server (possibly
   * none). Throws RfbFilterError when the stream cannot be followed; the connection must then close.
   */
  push(chunk: Buffer): Buffer {
    if (this.phase === 'refused') throw new RfbFilterError('the RFB stream was already refused');
    const data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    const out: Buffer[] = [];
    let at = 0;
    try {
      while (at < data.length) {
        if (this.discard > 0) {
          const n = Math.min(this.discard, data.length - at);
          this.discard -= n;
          at += n;
          continue;
        }
        const used = this.phase === 'messages' ? this.message(data, at, out) : this.handshake(data, at, out);
        if (used === 0) break;
        at += used;
      }
    } catch (error) {
      this.phase = 'refused';
      if (error instanceof UnknownRfbMessage) throw new RfbFilterError(error.message);
      throw error;
    }
    if (at < data.length) this.pending = Buffer.from(data.subarray(at));
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** One handshake step at `at`: returns the bytes it took, or 0 when it needs more. */
  private handshake(data: Buffer, at: number, out: Buffer[]): number {
    const available = data.length - at;
    switch (this.phase) {
      case 'version': {
        if (available < 12) return 0;
        const version = data.subarray(at, at + 12);
        if (!VERSION.test(version.toString('latin1'))) {
          throw new RfbFilterError(`the client asked for protocol ${JSON.stringify(version.toString('latin1'))}; a read-only desktop speaks RFB 3.7 or 3.8`);
        }
        out.push(version);
        this.phase = 'security';
        return 12;
      }
      case 'security': {
        const type = data[at];
        if (type !== SECURITY_NONE && type !== SECURITY_VNC_AUTH) {
          throw new RfbFilterError(`the client chose security type ${type}; a read-only desktop allows None (1) or VNC authentication (2)`);
        }
        out.push(data.subarray(at, at + 1));
        this.phase = type === SECURITY_NONE ? 'client-init' : 'vnc-auth';
        return 1;
      }
      case 'vnc-auth': {
        if (available < 16) return 0;
        out.push(data.subarray(at, at + 16));
        this.phase = 'client-init';
        return 16;
      }
      case 'client-init': {
        out.push(Buffer.from([1]));
        this.phase = 'messages';
        return 1;
      }
      default:
        throw new RfbFilterError(`unexpected filter phase ${this.phase}`);
    }
  }

  /** One client message at `at`: returns the bytes it took (all that is there of a dropped one), or 0. */
  private message(data: Buffer, at: number, out: Buffer[]): number {
    const framed = frameClientMessage(data, at, this.framing);
    if (!framed) return 0;
    const available = data.length - at;
    if (framed.input && this.inputAllowed) {
      if (available < framed.size) return 0;
      const message = data.subarray(at, at + framed.size);
      this.held.note(message);
      out.push(message);
      return framed.size;
    }
    if (framed.input) {
      this.dropped.set(framed.name, (this.dropped.get(framed.name) ?? 0) + 1);
      const now = Math.min(framed.size, available);
      this.discard = framed.size - now;
      return now;
    }
    if (available < framed.size) return 0;
    if (framed.name === 'SetEncodings') this.framing.extendedMouse = listsEncoding(data, at, EXTENDED_MOUSE_BUTTONS);
    out.push(data.subarray(at, at + framed.size));
    return framed.size;
  }
}
