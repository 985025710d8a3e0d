/**
 * The client-to-server RFB messages a browser desktop may send (RFC 6143 section 7.5, plus the extensions
 * noVNC uses: continuous updates, fences, xvp, desktop size, QEMU key events and audio, and gii), with
 * how long each one is and whether it is input. `frameClientMessage` is all the read-only filter needs
 * to cut the stream into messages; it never looks further than the message it frames.
 */

/** Encoding number of TigerVNC's ExtendedMouseButtons: once the client asks for it, a PointerEvent
 *  with the marker bit (0x80) in its button mask carries one more byte. */
export const EXTENDED_MOUSE_BUTTONS = -316;

export interface FramedMessage {
  name: string;
  /** Bytes of the whole message, header included. */
  size: number;
  /** Input (keys, pointer, clipboard, resizing, power actions): dropped for a read-only viewer. */
  input: boolean;
}

export interface FramingState {
  /** The client's last SetEncodings asked for EXTENDED_MOUSE_BUTTONS. */
  extendedMouse: boolean;
}

export class UnknownRfbMessage extends Error {
  constructor(readonly detail: string) {
    super(`RFB client message ${detail} is not known, so the stream cannot be filtered`);
    this.name = 'UnknownRfbMessage';
  }
}

/** Whether the header bytes needed to size the message are there; `null` asks for more bytes. */
type Sizer = (buf: Buffer, at: number, state: FramingState) => FramedMessage | null;

const fixed = (name: string, size: number, input: boolean): Sizer => () => ({ name, size, input });

function need(buf: Buffer, at: number, count: number): boolean {
  return buf.length - at >= count;
}

const SIZERS: Record<number, Sizer> = {
  0: fixed('SetPixelFormat', 20, false),
  2: (buf, at) => (need(buf, at, 4) ? { name: 'SetEncodings', size: 4 + 4 * buf.readUInt16BE(at + 2), input: false } : null),
  3: fixed('FramebufferUpdateRequest', 10, false),
  4: fixed('KeyEvent', 8, true),
  5: (buf, at, state) => {
    if (!need(buf, at, 2)) return null;
    const extended = state.extendedMouse && (buf[at + 1] & 0x80) !== 0;
    return { name: 'PointerEvent', size: extended ? 7 : 6, input: true };
  },
  6: (buf, at) => {
    if (!need(buf, at, 8)) return null;
    // A negative length is the extended clipboard format (TigerVNC, noVNC): the payload is |length| bytes.
    const length = buf.readInt32BE(at + 4);
    return { name: 'ClientCutText', size: 8 + Math.abs(length), input: true };
  },
  150: fixed('EnableContinuousUpdates', 10, false),
  248: (buf, at) => (need(buf, at, 9) ? { name: 'Fence', size: 9 + buf[at + 8], input: false } : null),
  250: fixed('xvp', 4, true),
  251: (buf, at) => (need(buf, at, 8) ? { name: 'SetDesktopSize', size: 8 + 16 * buf[at + 6], input: true } : null),
  253: (buf, at) => {
    if (!need(buf, at, 4)) return null;
    // gii carries its own byte order in the top bit of its second byte; all of it is input devices.
    const length = buf[at + 1] & 0x80 ? buf.readUInt16BE(at + 2) : buf.readUInt16LE(at + 2);
    return { name: 'gii', size: 4 + length, input: true };
  },
  255: (buf, at) => {
    if (!need(buf, at, 2)) return null;
    const sub = buf[at + 1];
    if (sub === 0) return { name: 'QEMU ExtendedKeyEvent', size: 12, input: true };
    if (sub !== 1) throw new UnknownRfbMessage(`QEMU (255) sub-type ${sub}`);
    if (!need(buf, at, 4)) return null;
    const operation = buf.readUInt16BE(at + 2);
    if (operation === 0 || operation === 1) return { name: 'QEMU audio enable/disable', size: 4, input: false };
    if (operation === 2) return { name: 'QEMU audio set format', size: 10, input: false };
    throw new UnknownRfbMessage(`QEMU audio operation ${operation}`);
  },
};

/**
 * Frames the message starting at `buf[at]`: its name, size and whether it is input, or null when more
 * bytes are needed to know its size. Throws UnknownRfbMessage for a type it cannot size.
 */
export function frameClientMessage(buf: Buffer, at: number, state: FramingState): FramedMessage | null {
  const type = buf[at];
  const sizer = SIZERS[type];
  if (!sizer) throw new UnknownRfbMessage(`type ${type}`);
  return sizer(buf, at, state);
}

/** Whether a complete SetEncodings message (starting at `at`) lists the given encoding. */
export function listsEncoding(buf: Buffer, at: number, encoding: number): boolean {
  const count = buf.readUInt16BE(at + 2);
  for (let i = 0; i < count; i++) if (buf.readInt32BE(at + 4 + 4 * i) === encoding) return true;
  return false;
}
