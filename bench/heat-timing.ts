/**
 * Timing helpers shared by the benchmarks that compare stacklab with raw Heat (openstack.bench.ts,
 * heat-nova.bench.ts): the raw side polls Heat as a hand-written client would, the stacklab side
 * waits for the state transition the worker announces.
 */
import type { StackState } from '../src/domain/states.ts';
import type { OpenStackProvider } from '../src/providers/openstack/provider.ts';
import type { StackRef } from '../src/providers/provider.ts';
import type { TestRuntime } from '../test/support/test-runtime.ts';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Raw Heat: poll `show` every `pollMs` until the stack reaches `want`. Like stacklab, it asks for the
 * outputs only when waiting for a create (a status read without them is cheaper for Heat), so that the
 * two sides differ in stacklab's own steps, not in what they ask Heat.
 */
export async function rawUntil(heat: OpenStackProvider, ref: StackRef, want: string, pollMs: number): Promise<void> {
  const opts = { outputs: want.startsWith('CREATE_') };
  for (;;) {
    const s = await heat.heat.show(ref, opts);
    if (s?.stack_status === want) return;
    if (!s || s.stack_status.endsWith('_FAILED')) throw new Error(`raw heat: ${ref.name} is ${s?.stack_status ?? 'gone'} (${s?.stack_status_reason ?? ''}), wanted ${want}`);
    await sleep(pollMs);
  }
}

/** Resolves when stacklab records the stack in `to`; rejects when it records a failure. */
export function reached(rt: TestRuntime, id: string, to: StackState): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = (e: { stack: { id: string; error: string | null }; to: StackState }) => {
      if (e.stack.id !== id) return;
      if (e.to === to || e.to.endsWith('_FAILED')) {
        rt.ctx.events.off('stack.transition', listener);
        if (e.to === to) resolve();
        else reject(new Error(`stacklab: ${id} went ${e.to}: ${e.stack.error ?? ''}`));
      }
    };
    rt.ctx.events.on('stack.transition', listener);
  });
}

export async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
