/**
 * The read-only desktop's RFB filter on byte streams: every client message type noVNC (or a hand-made
 * client) can send, split byte by byte, split at random and merged, and the streams it must refuse.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RfbFilterError, RfbInputFilter } from '../../src/gateway/rfb-input-filter.ts';

const u8 = (...values: number[]) => Buffer.from(values);
const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
};
const s32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const cat = (...parts: Buffer[]) => Buffer.concat(parts);

const VERSION = Buffer.from('RFB 003.008\n', 'latin1');
const HANDSHAKE = cat(VERSION, u8(1), u8(1));

/** The client messages, as noVNC builds them (core/rfb.js RFB.messages), plus the rarer extensions. */
const msg = {
  setPixelFormat: () => cat(u8(0, 0, 0, 0, 32, 24, 0, 1), u16(255), u16(255), u16(255), u8(0, 8, 16, 0, 0, 0)),
  setEncodings: (...encodings: number[]) => cat(u8(2, 0), u16(encodings.length), ...encodings.map(s32)),
  updateRequest: () => cat(u8(3, 1), u16(0), u16(0), u16(1280), u16(800)),
  key: (keysym: number, down: boolean) => cat(u8(4, down ? 1 : 0, 0, 0), s32(keysym)),
  pointer: (mask: number) => cat(u8(5, mask), u16(10), u16(20)),
  extendedPointer: () => cat(u8(5, 0x81), u16(10), u16(20), u8(1)),
  cutText: (text: string) => cat(u8(6, 0, 0, 0), s32(Buffer.byteLength(text)), Buffer.from(text)),
  extendedCutText: (payload: Buffer) => cat(u8(6, 0, 0, 0), s32(-payload.length), payload),
  continuousUpdates: () => cat(u8(150, 1), u16(0), u16(0), u16(1280), u16(800)),
  fence: (payload: string) => cat(u8(248, 0, 0, 0), s32(0x80000000 | 3), u8(payload.length), Buffer.from(payload)),
  xvp: (op: number) => u8(250, 0, 1, op),
  setDesktopSize: (screens: number) => cat(u8(251, 0), u16(800), u16(600), u8(screens, 0), Buffer.alloc(16 * screens, 7)),
  giiLittle: (length: number) => cat(u8(253, 0x00 | 1), Buffer.from([length & 0xff, length >> 8]), Buffer.alloc(length, 4)),
  giiBig: (length: number) => cat(u8(253, 0x80 | 2), u16(length), Buffer.alloc(length, 4)),
  qemuKey: () => cat(u8(255, 0), u16(1), s32(0x61), s32(0x1e)),
  qemuAudio: (op: number) => (op === 2 ? cat(u8(255, 1), u16(2), u8(3, 2), s32(44100)) : cat(u8(255, 1), u16(op))),
};

/** Pushes the stream in the given chunk sizes (cycled) and returns everything forwarded. */
function run(stream: Buffer, sizes: number[] = [stream.length]): Buffer {
  const filter = new RfbInputFilter();
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]);
    out.push(filter.push(stream.subarray(at, at + size)));
    at += size;
  }
  return Buffer.concat(out);
}

const VIEW = [msg.setPixelFormat(), msg.setEncodings(7, 16, 0, -223, -312), msg.updateRequest(), msg.continuousUpdates(), msg.fence('abc'), msg.qemuAudio(0), msg.qemuAudio(2), msg.qemuAudio(1)];
const INPUT = [msg.key(0x74, true), msg.key(0x74, false), msg.pointer(1), msg.pointer(0), msg.cutText('rm -rf /'), msg.extendedCutText(Buffer.alloc(40, 9)), msg.xvp(4), msg.setDesktopSize(2), msg.giiLittle(12), msg.giiBig(300), msg.qemuKey()];

/** Input interleaved with view messages: what must come out is exactly the view messages, in order. */
function mixedSession(): { stream: Buffer; expected: Buffer } {
  const parts: Buffer[] = [];
  const kept: Buffer[] = [];
  INPUT.forEach((input, i) => {
    const view = VIEW[i % VIEW.length];
    parts.push(input, view);
    kept.push(view);
  });
  return { stream: cat(HANDSHAKE, ...parts), expected: cat(HANDSHAKE, ...kept) };
}

describe('read-only RFB filter', () => {
  test('view messages pass and every kind of input is dropped, with the stream in one piece', () => {
    const { stream, expected } = mixedSession();
    assert.deepEqual(run(stream), expected);
  });

  test('the same stream byte by byte, and cut at awkward places, gives the same bytes', () => {
    const { stream, expected } = mixedSession();
    assert.deepEqual(run(stream, [1]), expected);
    assert.deepEqual(run(stream, [2, 3, 5, 7, 11, 13]), expected);
    assert.deepEqual(run(stream, [13, 1, 1, 64, 3, 999]), expected);
  });

  test('each input message alone is dropped and each view message alone is forwarded', () => {
    for (const input of INPUT) assert.deepEqual(run(cat(HANDSHAKE, input)), HANDSHAKE, `dropped: ${input.subarray(0, 4).toString('hex')}`);
    for (const view of VIEW) assert.deepEqual(run(cat(HANDSHAKE, view)), cat(HANDSHAKE, view), `forwarded: ${view.subarray(0, 4).toString('hex')}`);
  });

  test('the dropped messages are counted by name', () => {
    const filter = new RfbInputFilter();
    filter.push(cat(HANDSHAKE, msg.key(0x61, true), msg.key(0x61, false), msg.pointer(0), msg.cutText('x')));
    assert.deepEqual(Object.fromEntries(filter.dropped), { KeyEvent: 2, PointerEvent: 1, ClientCutText: 1 });
  });

  test('a large clipboard is discarded as it arrives, not held, and the next message still passes', () => {
    const filter = new RfbInputFilter();
    const big = msg.cutText('y'.repeat(3_000_000));
    assert.deepEqual(filter.push(cat(HANDSHAKE, big.subarray(0, 100))), HANDSHAKE);
    for (let at = 100; at < big.length; at += 65_536) assert.equal(filter.push(big.subarray(at, at + 65_536)).length, 0);
    assert.deepEqual(filter.push(msg.updateRequest()), msg.updateRequest());
  });

  test('once the client asks for ExtendedMouseButtons, a pointer event with the marker bit has 7 bytes', () => {
    const withExtension = msg.setEncodings(7, -316);
    const stream = cat(HANDSHAKE, withExtension, msg.extendedPointer(), msg.pointer(1), msg.updateRequest());
    assert.deepEqual(run(stream, [1]), cat(HANDSHAKE, withExtension, msg.updateRequest()));
    // Without the extension the same bytes are a 6-byte pointer event followed by a stray 1: no such message type.
    assert.throws(() => run(cat(HANDSHAKE, msg.extendedPointer())), RfbFilterError);
  });

  test('the ClientInit shared flag is forced on, so a viewer never disconnects the other users', () => {
    assert.deepEqual(run(cat(VERSION, u8(1), u8(0))), cat(VERSION, u8(1), u8(1)));
  });

  test('VNC authentication: the 16-byte response is forwarded before ClientInit', () => {
    const response = Buffer.alloc(16, 0xab);
    const stream = cat(VERSION, u8(2), response, u8(1), msg.key(0x61, true), msg.updateRequest());
    assert.deepEqual(run(stream, [1]), cat(VERSION, u8(2), response, u8(1), msg.updateRequest()));
  });

  test('RFB 3.7 is followed like 3.8', () => {
    const v37 = Buffer.from('RFB 003.007\n', 'latin1');
    assert.deepEqual(run(cat(v37, u8(1), u8(1), msg.key(0x61, true))), cat(v37, u8(1), u8(1)));
  });

  test('an unknown message type closes the stream with a reason, and nothing after it passes', () => {
    const filter = new RfbInputFilter();
    assert.deepEqual(filter.push(HANDSHAKE), HANDSHAKE);
    assert.throws(() => filter.push(cat(msg.updateRequest(), u8(7, 0, 0, 0))), { name: 'RfbFilterError', message: /type 7 is not known/ });
    assert.throws(() => filter.push(msg.updateRequest()), RfbFilterError);
  });

  test('an unknown QEMU sub-type or audio operation is refused', () => {
    assert.throws(() => run(cat(HANDSHAKE, u8(255, 9, 0, 0))), /QEMU \(255\) sub-type 9/);
    assert.throws(() => run(cat(HANDSHAKE, u8(255, 1), u16(5))), /QEMU audio operation 5/);
  });

  test('handshakes the filter cannot follow are refused: RFB 3.3, other versions, other security types', () => {
    assert.throws(() => run(Buffer.from('RFB 003.003\n', 'latin1')), /RFB 3.7 or 3.8/);
    assert.throws(() => run(Buffer.from('GET / HTTP/1.1\r\n', 'latin1')), /RFB 3.7 or 3.8/);
    assert.throws(() => run(cat(VERSION, u8(19))), /security type 19/);
    assert.throws(() => run(cat(VERSION, u8(16))), /security type 16/);
  });

  test('an incomplete message is held until the rest arrives', () => {
    const filter = new RfbInputFilter();
    filter.push(HANDSHAKE);
    const encodings = msg.setEncodings(...Array.from({ length: 300 }, (_, i) => i));
    assert.equal(filter.push(encodings.subarray(0, 3)).length, 0);
    assert.equal(filter.push(encodings.subarray(3, 1000)).length, 0);
    assert.deepEqual(filter.push(encodings.subarray(1000)), encodings);
  });
});

describe('a watcher\'s RFB filter, opened on take-over (desktop shadowing)', () => {
  test('input is dropped until allowInput(true), passes whole while allowed, and is dropped again after', () => {
    const filter = new RfbInputFilter();
    assert.deepEqual(filter.push(cat(HANDSHAKE, msg.key(0x61, true), msg.key(0x61, false), msg.updateRequest())), cat(HANDSHAKE, msg.updateRequest()));
    assert.equal(filter.allowInput(true).length, 0);
    const typed = cat(msg.key(0x62, true), msg.key(0x62, false), msg.pointer(0), msg.cutText('hi'));
    // Byte by byte: a message is only ever forwarded whole, so nothing comes out before its last byte.
    const out: Buffer[] = [];
    for (const byte of typed) out.push(filter.push(Buffer.from([byte])));
    assert.deepEqual(Buffer.concat(out), typed);
    assert.equal(filter.allowInput(false).length, 0, 'nothing was held down');
    assert.deepEqual(filter.push(cat(msg.key(0x63, true), msg.updateRequest())), msg.updateRequest());
  });

  test('giving back releases the keys and mouse button still held, and only those', () => {
    const filter = new RfbInputFilter();
    filter.push(HANDSHAKE);
    filter.allowInput(true);
    const shiftDown = msg.key(0xffe1, true);
    const qemuDown = cat(u8(255, 0), u16(1), s32(0x61), s32(0x1e));
    const pressed = cat(shiftDown, msg.key(0x41, true), msg.key(0x41, false), qemuDown, cat(u8(5, 1), u16(30), u16(40)));
    assert.deepEqual(filter.push(pressed), pressed);
    const releases = filter.allowInput(false);
    assert.deepEqual(releases, cat(msg.key(0xffe1, false), cat(u8(255, 0), u16(0), s32(0x61), s32(0x1e)), cat(u8(5, 0), u16(30), u16(40))));
    assert.equal(filter.allowInput(true).length, 0);
    assert.equal(filter.allowInput(false).length, 0, 'released once, then forgotten');
  });

  test('take-over in the middle of a dropped message does not let its rest through', () => {
    const filter = new RfbInputFilter();
    filter.push(HANDSHAKE);
    const clip = msg.cutText('secret text');
    assert.equal(filter.push(clip.subarray(0, 10)).length, 0);
    filter.allowInput(true);
    assert.deepEqual(filter.push(cat(clip.subarray(10), msg.key(0x61, true))), msg.key(0x61, true));
  });
});
