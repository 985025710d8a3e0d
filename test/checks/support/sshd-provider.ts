/**
 * A provider for the checks tests that needs no LXC: each stack is a `startLabSshd()` lab (real sshd in a
 * network namespace), its outputs the `public_ip` and `private_key` a HOT template would give; suspend
 * freezes its processes (SIGSTOP), resume thaws them. The template is ignored. `sshd` options (the jump
 * host's SSH port) apply to every stack of the provider.
 */
import type { CreateRequest, Provider, ProviderStack, ProviderStackSummary, StackRef } from '../../../src/providers/provider.ts';
import { startLabSshd, type LabSshd, type LabSshdOptions } from './lab-sshd.ts';

export class SshdProvider implements Provider {
  readonly kind = 'sshd-test';
  readonly labs = new Map<string, { lab: LabSshd; action: ProviderStack['action'] }>();

  constructor(
    readonly name = 'sshd',
    private readonly sshd: LabSshdOptions = {},
  ) {}

  async create(req: CreateRequest): Promise<StackRef> {
    if (!this.labs.has(req.name)) this.labs.set(req.name, { lab: await startLabSshd(undefined, this.sshd), action: 'CREATE' });
    return { id: req.name, name: req.name };
  }

  async get(ref: StackRef): Promise<ProviderStack | null> {
    const entry = this.labs.get(ref.id);
    if (!entry) return null;
    return { ...ref, action: entry.action, status: 'COMPLETE', reason: '', outputs: { public_ip: entry.lab.host, private_key: entry.lab.privateKey } };
  }

  async suspend(ref: StackRef): Promise<void> {
    const entry = this.labs.get(ref.id);
    if (!entry) throw new Error(`no stack ${ref.id}`);
    entry.lab.signal('SIGSTOP');
    entry.action = 'SUSPEND';
  }

  async resume(ref: StackRef): Promise<void> {
    const entry = this.labs.get(ref.id);
    if (!entry) throw new Error(`no stack ${ref.id}`);
    entry.lab.signal('SIGCONT');
    entry.action = 'RESUME';
  }

  async delete(ref: StackRef): Promise<void> {
    const entry = this.labs.get(ref.id);
    this.labs.delete(ref.id);
    await entry?.lab.stop();
  }

  async list(): Promise<ProviderStackSummary[]> {
    return [...this.labs.entries()].map(([id, e]) => ({ id, name: id, action: e.action, status: 'COMPLETE' as const }));
  }

  /** The lab of the only (or named) stack, so a test can act as the learner in it. */
  lab(name?: string): LabSshd {
    const entry = name ? this.labs.get(name) : [...this.labs.values()][0];
    if (!entry) throw new Error('no stack');
    return entry.lab;
  }

  async close(): Promise<void> {
    for (const entry of this.labs.values()) await entry.lab.stop();
    this.labs.clear();
  }
}
