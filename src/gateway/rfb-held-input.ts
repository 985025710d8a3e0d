/**
 * The keys and mouse buttons an instructor holds down on a learner's desktop during a take-over. When
 * the take-over ends (given back, or the instructor's socket closes), the filter shuts its input off in
 * the middle of whatever the instructor was doing: a key pressed and not yet released would stay down
 * on the learner's desktop (Xvnc repeats it, or a held Shift or Ctrl changes every key the learner
 * types after). `releases()` gives the messages that let go of all of it, for the gateway to send on.
 */

/** What makes two key messages the same key: the message kind and its keysym (or QEMU keycode). */
function keyOf(message: Buffer): string | undefined {
  if (message[0] === 4 && message.length >= 8) return `k${message.readUInt32BE(4)}`;
  if (message[0] === 255 && message[1] === 0 && message.length >= 12) return `q${message.readUInt32BE(4)}:${message.readUInt32BE(8)}`;
  return undefined;
}

function isDown(message: Buffer): boolean {
  return message[0] === 4 ? message[1] !== 0 : message.readUInt16BE(2) !== 0;
}

/** The same key message with its down flag cleared: the key's release. */
function released(message: Buffer): Buffer {
  const up = Buffer.from(message);
  if (up[0] === 4) up[1] = 0;
  else up.writeUInt16BE(0, 2);
  return up;
}

export class HeldInput {
  /** Release messages of the keys down now, by key. */
  private readonly keys = new Map<string, Buffer>();
  /** The pointer's last position and whether a button was down there. */
  private pointer: { x: number; y: number; buttons: number } | undefined;

  /** Notes one forwarded input message (whole). */
  note(message: Buffer): void {
    if (message[0] === 5 && message.length >= 6) {
      this.pointer = { buttons: message[1] & 0x7f, x: message.readUInt16BE(2), y: message.readUInt16BE(4) };
      return;
    }
    const key = keyOf(message);
    if (!key) return;
    if (isDown(message)) this.keys.set(key, released(message));
    else this.keys.delete(key);
  }

  /** The messages releasing every key and button still down (none when nothing is), and forgets them. */
  releases(): Buffer[] {
    const out = [...this.keys.values()];
    this.keys.clear();
    if (this.pointer && this.pointer.buttons !== 0) {
      const up = Buffer.alloc(6);
      up[0] = 5;
      up.writeUInt16BE(this.pointer.x, 2);
      up.writeUInt16BE(this.pointer.y, 4);
      out.push(up);
    }
    this.pointer = undefined;
    return out;
  }
}
