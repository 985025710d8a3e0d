/**
 * The Guacamole protocol's wire format: an instruction is elements `LENGTH.VALUE` joined by ',' and
 * ended by ';', the opcode first (`4.size,4.1024,3.768;`). LENGTH counts Unicode code points, as guacd
 * counts them (guacamole-common-js's own parser counts UTF-16 units, which differs for emoji; that is
 * one reason the page uses this module rather than that parser).
 *
 * Pure (no Node.js imports): the gateway and the page's tunnel (web/guacamole-tunnel.ts) share it.
 */

export interface Instruction {
  opcode: string;
  args: string[];
  /** The instruction as it arrived, to relay it unchanged. */
  raw: string;
}

export class GuacamoleProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuacamoleProtocolError';
  }
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
}

/** One instruction on the wire. */
export function encodeInstruction(opcode: string, ...args: Array<string | number>): string {
  return [opcode, ...args].map((element) => `${codePoints(String(element))}.${element}`).join(',') + ';';
}

/** Index just past `count` code points from `from`, or -1 when the text ends first. */
function skipCodePoints(text: string, from: number, count: number): number {
  let i = from;
  for (let k = 0; k < count; k++) {
    if (i >= text.length) return -1;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 1 >= text.length) return -1;
      i += 2;
    } else i += 1;
  }
  return i;
}

/**
 * Cuts a stream of text into whole instructions. Feed it whatever arrived (already decoded from UTF-8);
 * it returns the instructions completed so far and keeps the rest for the next call. Throws
 * GuacamoleProtocolError on malformed input, or when one instruction grows past `maxLength` characters
 * (a peer cannot make it buffer without limit).
 */
export class InstructionReader {
  private buffer = '';
  /** Start of the instruction being read. */
  private start = 0;
  /** Where the next element's length begins. */
  private next = 0;
  private elements: string[] = [];

  constructor(private readonly maxLength = 1 << 20) {}

  push(text: string): Instruction[] {
    if (this.start > 0) {
      this.buffer = this.buffer.slice(this.start);
      this.next -= this.start;
      this.start = 0;
    }
    this.buffer += text;
    const done: Instruction[] = [];
    for (;;) {
      const dot = this.buffer.indexOf('.', this.next);
      if (dot === -1) {
        if (!/^\d{0,10}$/.test(this.buffer.slice(this.next))) throw new GuacamoleProtocolError('an element length is not a number');
        break;
      }
      const digits = this.buffer.slice(this.next, dot);
      if (!/^\d{1,10}$/.test(digits)) throw new GuacamoleProtocolError('an element length is not a number');
      const end = skipCodePoints(this.buffer, dot + 1, Number(digits));
      if (end === -1 || end >= this.buffer.length) break;
      const terminator = this.buffer[end];
      if (terminator !== ',' && terminator !== ';') throw new GuacamoleProtocolError(`an element ends with ${JSON.stringify(terminator)} instead of ',' or ';'`);
      this.elements.push(this.buffer.slice(dot + 1, end));
      this.next = end + 1;
      if (terminator === ';') {
        const [opcode, ...args] = this.elements;
        done.push({ opcode, args, raw: this.buffer.slice(this.start, this.next) });
        this.elements = [];
        this.start = this.next;
      }
    }
    if (this.buffer.length - this.start > this.maxLength) throw new GuacamoleProtocolError(`an instruction is longer than ${this.maxLength} characters`);
    return done;
  }
}

/** Guacamole status codes the gateway sends or the page tells apart (guacamole-common-js Guacamole.Status.Code). */
export const GUAC_STATUS = {
  serverError: 0x0200,
  upstreamTimeout: 0x0202,
  upstreamError: 0x0203,
  upstreamNotFound: 0x0207,
  upstreamUnavailable: 0x0208,
  clientBadRequest: 0x0300,
  clientUnauthorized: 0x0301,
  clientForbidden: 0x0303,
} as const;
