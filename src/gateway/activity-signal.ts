/**
 * What a terminal or desktop connection tells the server about its learner (docs/learner-page.md,
 * "Idleness"): keystrokes and clicks are activity; output alone (a long build scrolling, a desktop
 * redrawing) is activity only within `outputWindowMs` of the last input, so a forgotten `top` does not
 * keep a lab running all night. Either reaches the activity ledger at most once per `everyMs`, so a
 * fast typist costs one write-behind entry per keepalive interval, never a store write per key.
 */
export interface ActivitySignal {
  input(): void;
  output(): void;
}

export interface ActivitySignalOptions {
  /** Records the activity (StackService.keepalive, through the ledger). */
  touch: () => void;
  /** The injected clock, in milliseconds. */
  now: () => number;
  everyMs: number;
  outputWindowMs: number;
}

export function activitySignal(opts: ActivitySignalOptions): ActivitySignal {
  let lastTouch = -Infinity;
  let lastInput = -Infinity;
  const touch = (t: number) => {
    if (t - lastTouch < opts.everyMs) return;
    lastTouch = t;
    opts.touch();
  };
  return {
    input() {
      const t = opts.now();
      lastInput = t;
      touch(t);
    },
    output() {
      const t = opts.now();
      if (t - lastInput < opts.outputWindowMs) touch(t);
    },
  };
}

/**
 * Whether a browser-to-server RFB chunk is the learner's input. noVNC keeps asking for screen updates
 * (FramebufferUpdateRequest, type 3, 10 bytes each) whether or not anyone is there; only a chunk made of
 * nothing else is not input. Anything else (keys, pointer, clipboard, the handshake) counts.
 */
export function isRfbInput(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.length % 10 !== 0) return bytes.length > 0;
  for (let at = 0; at < bytes.length; at += 10) if (bytes[at] !== 3) return true;
  return false;
}

/** Guacamole instructions from guacd that are not a change on the screen: timing, keepalives, acks. */
const RDP_QUIET_OPCODES = new Set(['', 'sync', 'nop', 'ack']);

export function isRdpOutput(opcode: string): boolean {
  return !RDP_QUIET_OPCODES.has(opcode);
}
