/**
 * The keys and mouse buttons an instructor holds down on a learner's RDP desktop during a take-over:
 * the Guacamole counterpart of rfb-held-input.ts. guacd's RDP keyboard state belongs to the connection,
 * not to the user, so a key still down when the instructor's writable join leaves stays down for the
 * learner (a held Ctrl changes every key they type after). `releases()` gives the instructions that let
 * go of all of it, to send on the writable join before it leaves.
 */
import { encodeInstruction, type Instruction } from './guacamole-protocol.ts';

export class GuacHeldInput {
  private readonly keys = new Set<string>();
  /** The last mouse position and button mask the instructor sent. */
  private mouse: { x: string; y: string; mask: number } | undefined;

  note(instruction: Instruction): void {
    const [a, b, c] = instruction.args;
    if (instruction.opcode === 'key' && a !== undefined) {
      if (b === '1') this.keys.add(a);
      else this.keys.delete(a);
    }
    if (instruction.opcode === 'mouse' && a !== undefined && b !== undefined) this.mouse = { x: a, y: b, mask: Number(c) || 0 };
  }

  /** The releases, as raw instructions; forgets what it held. */
  releases(): string {
    const keys = [...this.keys].map((keysym) => encodeInstruction('key', keysym, 0));
    const mouse = this.mouse && this.mouse.mask !== 0 ? [encodeInstruction('mouse', this.mouse.x, this.mouse.y, 0)] : [];
    this.keys.clear();
    this.mouse = undefined;
    return [...keys, ...mouse].join('');
  }
}
