/**
 * Lab hook scripts (hastexo's hook_script + hook_events): the lab's script runs in the stack, as the lab user
 * on the jump host, before a suspend, after a resume and before a delete, for the events the lab lists. It
 * gets the event name as its first argument. A hook is a courtesy to the lab (flush a database, restart a
 * service after a thaw): one that fails or hangs is logged and never blocks the lifecycle.
 */
import type { Logger } from 'pino';
import type { LabCatalog } from '../domain/lab-catalog.ts';
import type { Stack } from '../domain/stack.ts';
import type { LifecycleHooks } from '../services/lifecycle-hooks.ts';
import type { StackService } from '../services/stack-service.ts';
import { personalize } from './personalize.ts';
import { runRemoteScript } from './remote-script.ts';
import { labSshTarget, type SshTarget } from './ssh-target.ts';

export type HookEvent = 'suspend' | 'resume' | 'delete';

export interface HookDeps {
  labs: LabCatalog;
  stacks: Pick<StackService, 'secrets'>;
  logger: Logger;
}

export interface HookOutcome {
  ran: boolean;
  ok: boolean;
  exitCode?: number | null;
  timedOut?: boolean;
  reason?: string;
}

/** Runs the lab's hook for `event` if it has one; never throws. */
export async function runHook(deps: HookDeps, stack: Stack, event: HookEvent): Promise<HookOutcome> {
  const lab = deps.labs.get(stack.lab);
  if (!lab?.hookScript || !lab.hookEvents.includes(event)) return { ran: false, ok: true, reason: 'no hook for this event' };
  const log = deps.logger.child({ stackId: stack.id, lab: lab.id, hook: event });
  if (!stack.publicIp) {
    log.warn('hook skipped: the stack has no public_ip');
    return { ran: false, ok: false, reason: 'no public_ip' };
  }
  const timeoutMs = lab.timeouts.remoteExec * 1000;
  let target: SshTarget | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const secrets = await deps.stacks.secrets(stack.id);
    target = labSshTarget(stack.publicIp, lab, secrets);
    const run = (async () => runRemoteScript(await target!.client(), lab.hookScript!, { timeoutMs, args: [event] }))();
    // The connect itself may hang (a frozen server): the limit covers the whole hook, not only the script.
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hook did not finish within ${lab.timeouts.remoteExec} s`)), timeoutMs + 10_000);
    });
    const result = await Promise.race([run, limit]);
    const ok = result.exitCode === 0 && !result.timedOut;
    const entry = { exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs, stderr: result.stderr.slice(0, 2000) };
    if (ok) log.info(entry, 'lab hook ran');
    else log.warn(entry, 'lab hook failed; the lifecycle goes on');
    return { ran: true, ok, exitCode: result.exitCode, timedOut: result.timedOut };
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'lab hook could not run; the lifecycle goes on');
    return { ran: true, ok: false, reason: (error as Error).message };
  } finally {
    clearTimeout(timer);
    target?.close();
  }
}

/** The lab hook scripts as lifecycle hooks, for the composition root to hand to Operations. */
export function labHooks(deps: HookDeps): LifecycleHooks {
  return {
    beforeSuspend: async (stack) => void (await runHook(deps, stack, 'suspend')),
    afterResume: async (stack) => void (await runHook(deps, stack, 'resume')),
    beforeDelete: async (stack) => void (await runHook(deps, stack, 'delete')),
    personalize: async (stack, poolSecrets, fresh) => {
      const lab = deps.labs.get(stack.lab);
      if (!lab) throw new Error(`lab '${stack.lab}' is not loaded`);
      await personalize(lab, stack, poolSecrets, fresh);
    },
  };
}
