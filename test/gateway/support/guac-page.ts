/**
 * The browser's side of a gateway socket that speaks Guacamole (a learner's RDP desktop, a watcher's):
 * every text frame kept and parsed, and a check that each frame holds whole instructions.
 */
import assert from 'node:assert/strict';
import type WebSocket from 'ws';
import { InstructionReader, type Instruction } from '../../../src/gateway/guacamole-protocol.ts';

/** The browser's side of a socket: every text frame, parsed as whole instructions. */
export class Page {
  readonly frames: string[] = [];
  readonly instructions: Instruction[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'Guacamole travels in text frames');
      const text = (data as Buffer).toString('utf8');
      this.frames.push(text);
      // A fresh reader per frame: every frame must hold whole instructions.
      this.instructions.push(...new InstructionReader().push(text));
      assert.ok(text.endsWith(';'), `frame ends mid-instruction: ${text.slice(-40)}`);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve((this.closeCode = code))));
  }

  async waitFor(match: (i: Instruction) => boolean, timeoutMs = 10_000): Promise<Instruction> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.instructions.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`page: timed out; got ${this.instructions.map((i) => i.opcode || '(internal)').join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  send(text: string): void {
    this.ws.send(text);
  }
}
