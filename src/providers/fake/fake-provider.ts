/**
 * An in-memory (or folder-backed, for tests with several processes) provider for unit tests of the
 * orchestrator only. Modes, as JupyterHub's mocking spawners have: slow (`delayMs`), failing (`fail`
 * per action: the action ends FAILED, or `throwOn`: the call itself throws), never ready (`neverReady`).
 * Time-based: an action completes `delayMs` after it was requested, so any process reading the same
 * folder sees the same answer.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { DormancyPolicy } from '../../domain/dormancy.ts';
import {
  ProviderError,
  type CreateRequest,
  type GetOptions,
  type DormancyProgress,
  type Provider,
  type ProviderAction,
  type ProviderStack,
  type ProviderStackSummary,
  type StackRef,
} from '../provider.ts';

const action = z.enum(['create', 'suspend', 'resume', 'delete', 'shelve', 'unshelve']);
/** Steps the fake can fail as a full cloud does (no host for the server), not as a broken stack. */
const roomAction = z.enum(['unshelve']);

export const fakeProviderOptions = z.strictObject({
  delay_ms: z.number().int().min(0).default(0),
  fail: z.array(action).default([]),
  /** Fail these steps as a cloud without room does (Nova's scheduler: no valid host). */
  no_room: z.array(roomAction).default([]),
  throw_on: z.array(action).default([]),
  never_ready: z.boolean().default(false),
  /** The next N creates end as the local runtime's do when the process building them dies (cause INTERRUPTED). */
  interrupt_creates: z.number().int().min(0).default(0),
  /** Share state between processes through this folder (one JSON file per stack, and a call log). */
  state_dir: z.string().optional(),
  public_ip: z.string().default('192.0.2.10'),
  /** Shelving like Nova's (`shelve`, `unshelve`), with the dormancy settings an OpenStack entry has (docs/openstack.md). */
  can_shelve: z.boolean().default(false),
  shelve_after: z.number().int().min(0).default(7200),
  unshelve_estimate_seconds: z.number().int().min(0).default(300),
});
export type FakeProviderOptions = z.input<typeof fakeProviderOptions>;

interface FakeStack {
  id: string;
  name: string;
  action: ProviderAction;
  requestedAt: number;
  fails: boolean;
  /** A create whose builder "died": it fails as interrupted, not as a broken stack. */
  interrupted?: boolean;
  outputs: Record<string, unknown>;
  createdAt: number;
  parameters: Record<string, unknown>;
  /** Recorded like a Heat tag. */
  deployment?: string;
  /** Nova's side of the servers while the stack is suspended: shelved (or on the way there or back). */
  shelf?: { state: 'SHELVING' | 'SHELVED' | 'UNSHELVING'; since: number };
}

export interface FakeCall {
  op: string;
  name: string;
  pid: number;
  at: number;
}

export class FakeProvider implements Provider {
  readonly kind = 'fake';
  readonly options: z.output<typeof fakeProviderOptions>;
  private readonly memory = new Map<string, FakeStack>();
  readonly calls: FakeCall[] = [];

  constructor(
    readonly name: string,
    options: FakeProviderOptions = {},
  ) {
    this.options = fakeProviderOptions.parse(options);
    if (this.options.state_dir) mkdirSync(this.options.state_dir, { recursive: true });
  }

  get dormancy(): DormancyPolicy | undefined {
    if (!this.options.can_shelve) return undefined;
    return { canShelve: true, billsSuspended: true, shelveOffload: false, shelveAfter: this.options.shelve_after, unshelveEstimate: this.options.unshelve_estimate_seconds };
  }

  /** Changes modes at run time (tests flip a provider to failing, say). */
  configure(options: Partial<z.output<typeof fakeProviderOptions>>): void {
    Object.assign(this.options, options);
  }

  private record(op: string, name: string): void {
    const call = { op, name, pid: process.pid, at: Date.now() };
    this.calls.push(call);
    if (this.options.state_dir) appendFileSync(join(this.options.state_dir, 'calls.log'), JSON.stringify(call) + '\n');
  }

  private load(name: string): FakeStack | undefined {
    if (!this.options.state_dir) return this.memory.get(name);
    const file = join(this.options.state_dir, `${name}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FakeStack) : undefined;
  }

  private save(stack: FakeStack, exclusive = false): boolean {
    if (!this.options.state_dir) {
      if (exclusive && this.memory.has(stack.name)) return false;
      this.memory.set(stack.name, stack);
      return true;
    }
    try {
      writeFileSync(join(this.options.state_dir, `${stack.name}.json`), JSON.stringify(stack), { flag: exclusive ? 'wx' : 'w' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  private remove(name: string): void {
    if (!this.options.state_dir) this.memory.delete(name);
    else rmSync(join(this.options.state_dir, `${name}.json`), { force: true });
  }

  private maybeThrow(op: z.infer<typeof action>): void {
    if (this.options.throw_on.includes(op)) throw new ProviderError('UNAVAILABLE', `The fake provider ${this.name} refuses to ${op}.`, `fake ${op} configured to throw`);
  }

  async create(req: CreateRequest): Promise<StackRef> {
    this.record('create', req.name);
    this.maybeThrow('create');
    if (!req.template.trim()) throw new ProviderError('TEMPLATE_INVALID', 'The template is empty.');
    const stack: FakeStack = {
      id: `fake-${req.name}`,
      name: req.name,
      action: 'CREATE',
      requestedAt: Date.now(),
      // A template can ask to fail too, so the conformance suite's failing case works on the fake.
      fails: this.options.fail.includes('create') || req.template.includes('fake_fail: true'),
      // Counted down, so a test sets how many of its own next creates die whatever ran before it.
      interrupted: this.options.interrupt_creates > 0 && this.options.interrupt_creates-- > 0,
      outputs: { public_ip: this.options.public_ip, private_key: `FAKE KEY for ${req.name}`, password: 'fake-password', stack_name: req.name },
      createdAt: Date.now(),
      parameters: req.parameters,
      deployment: req.deployment,
    };
    // Idempotent by name: a second create (after a crash) returns the stack the first one made.
    if (!this.save(stack, true)) return { id: this.load(req.name)!.id, name: req.name };
    return { id: stack.id, name: stack.name };
  }

  private status(stack: FakeStack): ProviderStack {
    const done = !(stack.action === 'CREATE' && this.options.never_ready) && Date.now() - stack.requestedAt >= this.options.delay_ms;
    const interrupted = done && stack.action === 'CREATE' && Boolean(stack.interrupted);
    const status = !done ? 'IN_PROGRESS' : stack.fails || interrupted ? 'FAILED' : 'COMPLETE';
    return {
      id: stack.id,
      name: stack.name,
      action: stack.action,
      status,
      reason: interrupted
        ? `Stack CREATE was interrupted (fake provider ${this.name} configured to interrupt creates)`
        : status === 'FAILED' ? `Resource ${stack.action} failed: fake provider ${this.name} configured to fail` : `Stack ${stack.action} ${status}`,
      outputs: stack.action === 'CREATE' && status !== 'COMPLETE' ? {} : stack.outputs,
      ...(interrupted ? { cause: 'INTERRUPTED' as const } : {}),
    };
  }

  async get(ref: StackRef, _opts?: GetOptions): Promise<ProviderStack | null> {
    const stack = this.load(ref.name);
    if (!stack) return null;
    const view = this.status(stack);
    if (view.action === 'DELETE' && view.status === 'COMPLETE') {
      this.remove(ref.name);
      return null;
    }
    return view;
  }

  private async act(ref: StackRef, act: 'suspend' | 'resume' | 'delete'): Promise<void> {
    this.record(act, ref.name);
    this.maybeThrow(act);
    const stack = this.load(ref.name);
    if (!stack) {
      if (act === 'delete') return;
      throw new ProviderError('NOT_FOUND', `The stack ${ref.name} does not exist on ${this.name}.`);
    }
    const next = act.toUpperCase() as ProviderAction;
    const current = this.status(stack);
    if (current.action === next && current.status !== 'FAILED') return;
    this.save({ ...stack, action: next, requestedAt: Date.now(), fails: this.options.fail.includes(act) });
  }

  suspend(ref: StackRef): Promise<void> {
    return this.act(ref, 'suspend');
  }

  resume(ref: StackRef): Promise<void> {
    return this.act(ref, 'resume');
  }

  delete(ref: StackRef): Promise<void> {
    return this.act(ref, 'delete');
  }

  /** Steps like the OpenStack provider's (provider.ts, point 7): each call moves the shelf on and says where it is. */
  async shelve(ref: StackRef): Promise<DormancyProgress> {
    this.record('shelve', ref.name);
    this.maybeThrow('shelve');
    const stack = this.mustLoad(ref);
    const view = this.status(stack);
    if (!(view.action === 'SUSPEND' && view.status === 'COMPLETE')) return { status: 'FAILED', reason: `only a suspended stack is shelved; it is ${view.action}_${view.status}` };
    if (this.options.fail.includes('shelve')) return { status: 'FAILED', reason: `fake provider ${this.name} configured to fail shelving` };
    if (!stack.shelf) this.save({ ...stack, shelf: { state: 'SHELVING', since: Date.now() } });
    else if (stack.shelf.state === 'SHELVING' && Date.now() - stack.shelf.since >= this.options.delay_ms) this.save({ ...stack, shelf: { state: 'SHELVED', since: Date.now() } });
    const now = this.mustLoad(ref).shelf!;
    return now.state === 'SHELVED' ? { status: 'COMPLETE', reason: 'shelved' } : { status: 'IN_PROGRESS', reason: now.state.toLowerCase() };
  }

  async unshelve(ref: StackRef): Promise<DormancyProgress> {
    this.record('unshelve', ref.name);
    this.maybeThrow('unshelve');
    const stack = this.mustLoad(ref);
    if (this.options.fail.includes('unshelve')) return { status: 'FAILED', reason: `fake provider ${this.name} configured to fail unshelving` };
    if (this.options.no_room.includes('unshelve')) return { status: 'FAILED', reason: `fake provider ${this.name} has no room for the servers`, cause: 'NO_ROOM' };
    if (stack.shelf && stack.shelf.state !== 'UNSHELVING') {
      this.save({ ...stack, shelf: { state: 'UNSHELVING', since: Date.now() } });
      return { status: 'IN_PROGRESS', reason: 'unshelving' };
    }
    if (stack.shelf?.state === 'UNSHELVING') {
      if (Date.now() - stack.shelf.since < this.options.delay_ms) return { status: 'IN_PROGRESS', reason: 'unshelving' };
      // Nova brings an unshelved server back ACTIVE; the orchestrator resumes the stack next.
      this.save({ ...stack, shelf: undefined });
    }
    return { status: 'COMPLETE', reason: 'off the shelf' };
  }

  /** Where the stack's servers are on the shelf (tests): undefined when not shelved. */
  shelfOf(name: string): 'SHELVING' | 'SHELVED' | 'UNSHELVING' | undefined {
    return this.load(name)?.shelf?.state;
  }

  private mustLoad(ref: StackRef): FakeStack {
    const stack = this.load(ref.name);
    if (!stack) throw new ProviderError('NOT_FOUND', `The stack ${ref.name} does not exist on ${this.name}.`);
    return stack;
  }

  async list(): Promise<ProviderStackSummary[]> {
    const stacks = this.options.state_dir
      ? readdirSync(this.options.state_dir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => JSON.parse(readFileSync(join(this.options.state_dir!, f), 'utf8')) as FakeStack)
      : [...this.memory.values()];
    return stacks.map((s) => {
      const v = this.status(s);
      return { id: v.id, name: v.name, action: v.action, status: v.status, createdAt: new Date(s.createdAt), ...(s.deployment ? { deployment: s.deployment } : {}) };
    });
  }

  /** Every call recorded in the shared folder (all processes), or in memory. */
  allCalls(): FakeCall[] {
    if (!this.options.state_dir) return this.calls;
    const file = join(this.options.state_dir, 'calls.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeCall);
  }
}
