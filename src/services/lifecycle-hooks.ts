/**
 * Work done in a stack around lifecycle events (the lab's hook scripts, made by checks/hooks.ts and
 * handed to Operations by the composition root). Failures are only logged: a hook never blocks the lifecycle.
 */
import type { Stack, StackSecrets } from '../domain/stack.ts';

export interface LifecycleHooks {
  beforeSuspend?(stack: Stack): Promise<void>;
  afterResume?(stack: Stack): Promise<void>;
  beforeDelete?(stack: Stack): Promise<void>;
  /**
   * Makes a stack claimed from a warm pool the learner's (docs/pools.md): logs in with the pool's
   * secrets and pushes the learner's public key and password in. Unlike the others it throws when it
   * did not succeed, and the stack is not handed over.
   */
  personalize?(stack: Stack, poolSecrets: StackSecrets, fresh: { publicKey: string; password: string }): Promise<void>;
}
