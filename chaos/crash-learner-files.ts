/**
 * The learner's work: a file written into each freshly launched lab server over SSH, which must be there,
 * unchanged, every time the same provider stack is READY again (after a suspend/resume, a crash, or both).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Keys } from '../src/infra/keys.ts';
import { sshExec } from '../test/lxc/ssh.ts';

interface Seen {
  providerStackName: string;
  publicIp: string | null;
}

export class LearnerFiles {
  private readonly expected = new Map<string, { generation: string; content: string }>();
  written = 0;
  verified = 0;

  constructor(
    private readonly db: pg.Client,
    private readonly keys: Keys,
  ) {}

  /** Writes the file into a new generation, or checks it is still there; throws "LOST ..." when it is not. */
  async see(stack: Seen & { id: string }): Promise<void> {
    const known = this.expected.get(stack.id);
    if (known && known.generation === stack.providerStackName) return this.check(stack, known.content);
    const content = randomBytes(8).toString('hex');
    const r = await sshExec(await this.target(stack), `echo ${content} > ~/crash-proof.txt && sync`);
    if (r.code !== 0) throw new Error(`could not write the learner file in ${stack.id}: ${r.stderr}`);
    this.expected.set(stack.id, { generation: stack.providerStackName, content });
    this.written++;
  }

  async verify(id: string): Promise<void> {
    const row = (await this.db.query<{ provider_stack_name: string; public_ip: string | null }>('SELECT provider_stack_name, public_ip FROM stacks WHERE id = $1', [id])).rows[0];
    const known = this.expected.get(id);
    if (row && known && known.generation === row.provider_stack_name) await this.check({ id, providerStackName: row.provider_stack_name, publicIp: row.public_ip }, known.content);
  }

  private async check(stack: Seen & { id: string }, content: string): Promise<void> {
    const r = await sshExec(await this.target(stack), 'cat ~/crash-proof.txt');
    if (r.stdout.trim() !== content) throw new Error(`LOST learner work in ${stack.id} (${stack.providerStackName}): expected ${content}, found '${r.stdout.trim()}' ${r.stderr.trim()}`);
    this.verified++;
  }

  private async target(stack: Seen & { id: string }) {
    const sealed = (await this.db.query<{ secrets: string | null }>('SELECT secrets FROM stacks WHERE id = $1', [stack.id])).rows[0]?.secrets;
    if (!sealed || !stack.publicIp) throw new Error(`stack ${stack.id} has no address or key yet`);
    const { privateKey } = JSON.parse(this.keys.decrypt(sealed)) as { privateKey?: string };
    return { host: stack.publicIp, username: 'training', privateKey: privateKey! };
  }
}
