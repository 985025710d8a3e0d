/**
 * The end of a test that ran a lab's stacks through a whole runtime on the local provider: every stack
 * of the lab deleted through the lifecycle and waited for, the runtime closed, then any container the
 * test saw made removed directly (a stack the lifecycle could not delete must not outlive the test).
 */
import type { Provider } from '../../src/providers/provider.ts';
import type { TestRuntime } from '../support/test-runtime.ts';

export async function deleteLabStacks(rt: TestRuntime | undefined, labId: string, provider: Provider, providerNames: readonly string[]): Promise<void> {
  if (rt) {
    for (const stack of await rt.ctx.stacks.list({ lab: labId, limit: 100 })) {
      if (stack.state !== 'DELETED') await rt.ctx.stacks.requestDelete(stack.id, 'test').catch(() => undefined);
    }
    for (const stack of await rt.ctx.stacks.list({ lab: labId, limit: 100 })) await rt.ctx.stacks.waitForState(stack.id, ['DELETED'], 60_000).catch(() => undefined);
    await rt.close();
  }
  for (const name of providerNames) await provider.delete({ id: name, name }).catch(() => undefined);
}
