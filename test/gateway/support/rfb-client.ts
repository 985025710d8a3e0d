/**
 * A hand-made RFB client over the gateway's WebSocket, as an attacker with a read-only token would write
 * one: it does the RFB 3.8 handshake (security None) itself and sends raw client messages, without
 * noVNC and its viewOnly switch.
 */
import type WebSocket from 'ws';
import { openSocket } from './gateway-world.ts';

export interface ServerInit {
  width: number;
  height: number;
  bytesPerPixel: number;
  name: string;
}

/** The ExtendedDesktopSize pseudo-encoding: screen layouts, and SetDesktopSize. */
const EXTENDED_DESKTOP_SIZE = -308;

/** X keysyms of what `type` can send: printable ASCII is its own keysym; these are the rest. */
const KEYSYMS: Record<string, number> = { '\r': 0xff0d, '\n': 0xff0d, '\t': 0xff09 };

export class RfbClient {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  /** The JSON control messages the gateway sent in text frames, in order. */
  readonly controls: Array<Record<string, unknown>> = [];
  /** Resolves with the close code and reason when the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.controls.push(JSON.parse(data.toString()) as Record<string, unknown>);
        this.waiter?.();
        return;
      }
      this.buffered = Buffer.concat([this.buffered, data]);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.closed.then(() => this.waiter?.());
  }

  /** Connects and does the handshake; retries while the desktop's Xvnc is still starting (the bridge then closes). */
  /**
   * Retries until the desktop answers the handshake. Connection tokens are single use, so a caller whose
   * desktop may still be starting passes a function that grants fresh protocols for every attempt.
   */
  static async connect(url: string, protocols: string[] | (() => Promise<string[]>), timeoutMs = 60_000): Promise<{ client: RfbClient; init: ServerInit }> {
    const deadline = Date.now() + timeoutMs;
    const grant = typeof protocols === 'function' ? protocols : async () => protocols;
    let last: unknown;
    while (Date.now() < deadline) {
      const client = new RfbClient(await openSocket(url, await grant()));
      try {
        return { client, init: await client.handshake() };
      } catch (error) {
        last = error;
        client.ws.terminate();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`no RFB handshake through ${url} within ${timeoutMs} ms: ${(last as Error)?.message}`);
  }

  async read(count: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < count) {
      if (this.ws.readyState !== this.ws.OPEN) throw new Error(`socket closed after ${this.buffered.length} of ${count} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} bytes (have ${this.buffered.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const bytes = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return bytes;
  }

  private async handshake(): Promise<ServerInit> {
    const version = (await this.read(12, 5_000)).toString('latin1');
    if (version !== 'RFB 003.008\n') throw new Error(`server speaks ${JSON.stringify(version)}`);
    this.send(Buffer.from(version, 'latin1'));
    const count = (await this.read(1))[0];
    const types = [...(await this.read(count))];
    if (!types.includes(1)) throw new Error(`security type None not offered (got ${types})`);
    this.send(Buffer.from([1]));
    const result = (await this.read(4)).readUInt32BE(0);
    if (result !== 0) throw new Error(`security result ${result}`);
    this.send(Buffer.from([1])); // ClientInit: shared
    const init = await this.read(24);
    const name = await this.read(init.readUInt32BE(20));
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2), bytesPerPixel: init[4] / 8, name: name.toString('utf8') };
  }

  send(bytes: Buffer): void {
    this.ws.send(bytes);
  }

  /** Sends a JSON control message in a text frame (a watcher's `takeover` and `release`). */
  control(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Waits for a control message the predicate accepts (one that came already counts). */
  async controlMatching(accept: (message: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      const found = this.controls.slice(seen).find(accept);
      if (found) return found;
      seen = this.controls.length;
      if (this.ws.readyState !== this.ws.OPEN) throw new Error(`socket closed; controls so far: ${JSON.stringify(this.controls)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching control message within ${timeoutMs} ms; got ${JSON.stringify(this.controls)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  key(keysym: number, down: boolean): void {
    const message = Buffer.alloc(8);
    message.writeUInt8(4, 0);
    message.writeUInt8(down ? 1 : 0, 1);
    message.writeUInt32BE(keysym, 4);
    this.send(message);
  }

  pointer(x: number, y: number, buttons: number): void {
    const message = Buffer.alloc(6);
    message.writeUInt8(5, 0);
    message.writeUInt8(buttons, 1);
    message.writeUInt16BE(x, 2);
    message.writeUInt16BE(y, 4);
    this.send(message);
  }

  /** A left click, as a learner gives a window the keyboard focus. */
  click(x: number, y: number): void {
    this.pointer(x, y, 0);
    this.pointer(x, y, 1);
    this.pointer(x, y, 0);
  }

  /** Presses and releases a key per character; Xvnc adds Shift where the keysym needs it. */
  type(text: string): void {
    for (const char of text) {
      const keysym = KEYSYMS[char] ?? char.charCodeAt(0);
      this.key(keysym, true);
      this.key(keysym, false);
    }
  }

  /** A non-incremental FramebufferUpdateRequest for the one pixel at (x, y). */
  private requestUpdate(x: number, y: number): void {
    const request = Buffer.alloc(10);
    request.writeUInt8(3, 0);
    request.writeUInt16BE(x, 2);
    request.writeUInt16BE(y, 4);
    request.writeUInt16BE(1, 6);
    request.writeUInt16BE(1, 8);
    this.send(request);
  }

  /** Asks for one pixel of the screen (raw encoding, the default) and returns the reply's message type (0: FramebufferUpdate). */
  async updateOnePixel(bytesPerPixel: number): Promise<number> {
    this.requestUpdate(0, 0);
    const header = await this.read(4);
    const rects = header.readUInt16BE(2);
    for (let i = 0; i < rects; i++) {
      const rect = await this.read(12);
      await this.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * bytesPerPixel);
    }
    return header[0];
  }

  /**
   * The colour at (x, y) as [red, green, blue], from a non-incremental update of that one pixel (raw
   * encoding, the server's default 32-bit little-endian pixel format: blue, green, red, unused).
   */
  async pixel(x: number, y: number): Promise<[number, number, number]> {
    this.requestUpdate(x, y);
    const header = await this.read(4);
    if (header[0] !== 0) throw new Error(`expected a FramebufferUpdate, got message type ${header[0]}`);
    let colour: [number, number, number] | undefined;
    for (let rects = header.readUInt16BE(2); rects > 0; rects--) {
      const rect = await this.read(12);
      const bytes = await this.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
      if (bytes.length >= 4) colour = [bytes[2], bytes[1], bytes[0]];
    }
    if (!colour) throw new Error(`no pixel at ${x},${y} in the update`);
    return colour;
  }

  /**
   * Says the client understands ExtendedDesktopSize (SetEncodings: raw and -308), then asks for one pixel,
   * and returns the first screen of the layout the server sends with it: what SetDesktopSize must name.
   */
  async screenLayout(): Promise<{ id: number; flags: number }> {
    const encodings = Buffer.alloc(12);
    encodings.writeUInt8(2, 0);
    encodings.writeUInt16BE(2, 2);
    encodings.writeInt32BE(0, 4);
    encodings.writeInt32BE(EXTENDED_DESKTOP_SIZE, 8);
    this.send(encodings);
    this.requestUpdate(0, 0);
    const header = await this.read(4);
    if (header[0] !== 0) throw new Error(`expected a FramebufferUpdate, got message type ${header[0]}`);
    let screen: { id: number; flags: number } | undefined;
    for (let rects = header.readUInt16BE(2); rects > 0; rects--) {
      const rect = await this.read(12);
      if (rect.readInt32BE(8) !== EXTENDED_DESKTOP_SIZE) {
        await this.read(rect.readUInt16BE(4) * rect.readUInt16BE(6) * 4);
        continue;
      }
      const screens = (await this.read(4))[0];
      const layout = await this.read(16 * screens);
      screen = { id: layout.readUInt32BE(0), flags: layout.readUInt32BE(12) };
    }
    if (!screen) throw new Error('the server sent no screen layout');
    return screen;
  }

  /** SetDesktopSize with one screen covering the whole desktop (the screen's id and flags from screenLayout). */
  setDesktopSize(width: number, height: number, screen: { id: number; flags: number }): void {
    const message = Buffer.alloc(24);
    message.writeUInt8(251, 0);
    message.writeUInt16BE(width, 2);
    message.writeUInt16BE(height, 4);
    message.writeUInt8(1, 6);
    message.writeUInt32BE(screen.id, 8);
    message.writeUInt16BE(width, 16);
    message.writeUInt16BE(height, 18);
    message.writeUInt32BE(screen.flags, 20);
    this.send(message);
  }

  close(): void {
    this.ws.close();
  }
}
