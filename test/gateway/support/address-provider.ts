/**
 * A provider whose stacks are an existing machine: create completes at once with that machine's
 * address and key as outputs. Gateway tests use it to put a real sshd behind a real stack row.
 */
import type { CreateRequest, Provider, ProviderStack, ProviderStackSummary, StackRef } from '../../../src/providers/provider.ts';

export class AddressProvider implements Provider {
  readonly kind = 'address';
  private readonly stacks = new Map<string, ProviderStack>();

  constructor(
    readonly name: string,
    private readonly outputs: { public_ip: string; private_key?: string; password?: string },
  ) {}

  async create(req: CreateRequest): Promise<StackRef> {
    const stack: ProviderStack = { id: req.name, name: req.name, action: 'CREATE', status: 'COMPLETE', reason: '', outputs: { ...this.outputs } };
    this.stacks.set(req.name, stack);
    return { id: stack.id, name: stack.name };
  }

  async get(ref: StackRef): Promise<ProviderStack | null> {
    return this.stacks.get(ref.id) ?? null;
  }

  private set(ref: StackRef, action: ProviderStack['action']): void {
    const stack = this.stacks.get(ref.id);
    if (stack) this.stacks.set(ref.id, { ...stack, action, status: 'COMPLETE' });
  }

  async suspend(ref: StackRef): Promise<void> {
    this.set(ref, 'SUSPEND');
  }

  async resume(ref: StackRef): Promise<void> {
    this.set(ref, 'RESUME');
  }

  async delete(ref: StackRef): Promise<void> {
    this.stacks.delete(ref.id);
  }

  async list(): Promise<ProviderStackSummary[]> {
    return [...this.stacks.values()].map(({ id, name, action, status }) => ({ id, name, action, status }));
  }
}
