import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activitySignal, isRdpOutput, isRfbInput } from '../../src/gateway/activity-signal.ts';

function harness(outputWindowMs = 30 * 60_000) {
  let now = 0;
  const touches: number[] = [];
  const signal = activitySignal({ touch: () => touches.push(now), now: () => now, everyMs: 30_000, outputWindowMs });
  return { signal, touches, advance: (ms: number) => (now += ms) };
}

test('keystrokes count as activity, at most one touch of the ledger per interval however fast the learner types', () => {
  const h = harness();
  for (let i = 0; i < 600; i++) {
    h.signal.input();
    h.advance(100); // ten keys a second for a minute
  }
  assert.deepEqual(h.touches, [0, 30_000]);
});

test('output alone counts only within the output window after the last keystroke', () => {
  const h = harness(10 * 60_000);
  h.signal.input(); // the learner starts a build at 0 and types nothing more
  for (let t = 0; t < 30 * 60_000; t += 1000) {
    h.advance(1000);
    h.signal.output(); // the build scrolls every second for half an hour
  }
  assert.ok(h.touches.length >= 20, `output within the window keeps the lab alive (${h.touches.length} touches)`);
  assert.ok(h.touches.every((t) => t < 10 * 60_000), `no touch after the window: ${h.touches.filter((t) => t >= 10 * 60_000).join(', ')}`);
  const before = h.touches.length;
  h.signal.input();
  assert.equal(h.touches.length, before + 1, 'a keystroke opens the window again');
});

test('output never counts when the window is 0, and output without any input never counts', () => {
  const h = harness(0);
  h.signal.input();
  h.advance(60_000);
  h.signal.output();
  assert.deepEqual(h.touches, [0]);
  const fresh = harness();
  fresh.signal.output();
  assert.deepEqual(fresh.touches, []);
});

test('VNC: screen-update requests are not input; keys, pointer and anything unframed are', () => {
  const request = Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]);
  assert.equal(isRfbInput(request), false);
  assert.equal(isRfbInput(Buffer.concat([request, request])), false);
  assert.equal(isRfbInput(Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61])), true, 'KeyEvent');
  assert.equal(isRfbInput(Buffer.from([5, 0, 0, 10, 0, 20])), true, 'PointerEvent');
  assert.equal(isRfbInput(Buffer.concat([request, Buffer.from([5, 1, 0, 10, 0, 20, 3, 0, 0, 0])])), true, 'a pointer event merged with a request');
});

test('RDP: drawing counts as output, sync and keepalives do not', () => {
  assert.equal(isRdpOutput('img'), true);
  assert.equal(isRdpOutput('copy'), true);
  assert.equal(isRdpOutput('sync'), false);
  assert.equal(isRdpOutput('nop'), false);
});
