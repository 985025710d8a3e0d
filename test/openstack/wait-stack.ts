/** Polling a provider until a stack settles, as the orchestrator's worker would. */
import type { Provider, ProviderStack, StackRef } from '../../src/providers/provider.ts';

export async function waitSettled(provider: Provider, ref: StackRef, timeoutMs = 60_000, intervalMs = 500): Promise<ProviderStack | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await provider.get(ref);
    if (!s || s.status !== 'IN_PROGRESS') return s;
    if (Date.now() > deadline) throw new Error(`stack ${ref.name} still ${s.action}_${s.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Deletes a stack and waits until it is gone; for test clean-up, so it never throws. */
export async function deleteAndWait(provider: Provider, ref: StackRef, timeoutMs = 60_000): Promise<void> {
  try {
    await provider.delete(ref);
    const s = await waitSettled(provider, ref, timeoutMs);
    if (s && !(s.action === 'DELETE' && s.status === 'COMPLETE')) console.error(`# clean-up: ${ref.name} ended ${s.action}_${s.status}: ${s.reason}`);
  } catch (err) {
    console.error(`# clean-up of ${ref.name} failed: ${(err as Error).message}`);
  }
}
