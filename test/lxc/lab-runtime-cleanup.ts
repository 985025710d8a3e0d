/**
 * The single-server sample lab with a warm pool, run through a whole runtime on the local provider, and
 * the end of such a test that ran a lab's stacks through a whole runtime on the local provider: every stack
 * of the lab deleted through the lifecycle and waited for, the runtime closed, then any container the
 * test saw made removed directly (a stack the lifecycle could not delete must not outlive the test).
 */
import { join } from 'node:path';
import type { Lab } from '../../src/domain/lab.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { LXC_TEST_DEPLOYMENT, REPO } from './support.ts';

/** The single-server lab as `id` with `pool`, on a runtime of the lxc tests' deployment, its worker running. */
export async function pooledSingleServer(provider: Provider, id: string, pool: NonNullable<Lab['pool']>): Promise<{ rt: TestRuntime; lab: Lab }> {
  const base = loadLab(join(REPO, 'labs', 'single-server'), { defaultProviders: ['local'] });
  const lab: Lab = { ...base, id, pool };
  const rt = await testRuntime({ providers: [provider], labs: [lab], overrides: { deployment_id: LXC_TEST_DEPLOYMENT, poll_interval: 0.1 } });
  rt.worker.start();
  return { rt, lab };
}

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
