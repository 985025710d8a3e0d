/**
 * Work done in a stack around lifecycle events (the lab's hook scripts, made by checks/hooks.ts and
 * handed to Operations by the composition root). Failures are only logged: a hook never blocks the lifecycle.
 */
import type { Stack } from '../domain/stack.ts';

export interface LifecycleHooks {
  beforeSuspend?(stack: Stack): Promise<void>;
  afterResume?(stack: Stack): Promise<void>;
  beforeDelete?(stack: Stack): Promise<void>;
}
