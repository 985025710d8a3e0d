/**
 * Launch, suspend, resume, delete, shelve and unshelve durations and failures, measured where a worker finishes the
 * operation. The start is read from the stack's event log (when it entered the pending state that
 * requested the work), not kept in memory, so the duration is right when another worker process, or this
 * one after a restart, finishes what an earlier one began; it includes the wait for a worker.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { StackStore } from '../db/stack-store.ts';
import type { DomainEvents, TransitionEvent } from '../infra/events.ts';
import { OPERATION_BUCKETS, counter, histogram } from '../infra/metrics.ts';
import { OUTCOME, type InProgressState, type PendingState, type StackState } from '../domain/states.ts';

export const OPERATION_OF = { CREATING: 'launch', SUSPENDING: 'suspend', RESUMING: 'resume', DELETING: 'delete', SHELVING: 'shelve', UNSHELVING: 'unshelve' } as const satisfies Record<InProgressState, string>;

/** The pending state whose entry starts each operation. */
const REQUESTED_BY: Record<InProgressState, PendingState> = {
  CREATING: 'LAUNCH_PENDING',
  SUSPENDING: 'SUSPEND_PENDING',
  RESUMING: 'RESUME_PENDING',
  DELETING: 'DELETE_PENDING',
  SHELVING: 'SHELVE_PENDING',
  UNSHELVING: 'UNSHELVE_PENDING',
};

function isInProgress(state: StackState | null): state is InProgressState {
  return state !== null && state in OUTCOME;
}

export interface LifecycleMetricsDeps {
  events: DomainEvents;
  store: StackStore;
  registry: Registry;
  logger: Logger;
}

export interface LifecycleMeasure {
  /** Resolves once every finished operation heard so far is recorded (its start is read from the store). */
  settled(): Promise<void>;
  stop(): void;
}

export function measureLifecycle(deps: LifecycleMetricsDeps): LifecycleMeasure {
  const durations = histogram(deps.registry, {
    name: 'stacklab_operation_duration_seconds',
    help: 'Launch, suspend, resume, delete, shelve and unshelve: seconds from the request (entering the pending state) to the state reached, by outcome',
    labelNames: ['operation', 'provider', 'lab', 'outcome'],
    buckets: OPERATION_BUCKETS,
  });
  const failures = counter(deps.registry, {
    name: 'stacklab_operation_failures_total',
    help: "Operations that ended in a failed state, by the stack's error code (docs/errors.md) and provider",
    labelNames: ['operation', 'provider', 'code'],
  });
  const inFlight = new Set<Promise<void>>();

  async function record(event: TransitionEvent): Promise<void> {
    const from = event.from;
    if (!isInProgress(from)) return;
    const operation = OPERATION_OF[from];
    const outcome = OUTCOME[from].ok === event.to ? 'ok' : OUTCOME[from].failed === event.to ? 'failed' : null;
    // CREATING -> LAUNCH_PENDING (failover) is not the end of the launch.
    if (!outcome) return;
    const { stack } = event;
    const provider = stack.provider ?? 'none';
    if (outcome === 'failed') failures.inc({ operation, provider, code: stack.errorCode ?? 'UNKNOWN' });
    // A worker's own operation carries its request time from the claim; anything else (a watchdog timeout, a launch) reads the log.
    const started = event.requestedAt ?? (await deps.store.enteredAt(stack.id, REQUESTED_BY[from], from === 'CREATING' ? 'CREATING' : undefined));
    if (!started) return;
    const seconds = Math.max(0, (stack.stateChangedAt.getTime() - started.getTime()) / 1000);
    durations.observe({ operation, provider, lab: stack.lab, outcome }, seconds);
  }

  const listener = (event: TransitionEvent) => {
    const pending = record(event)
      .catch((err: unknown) => deps.logger.warn({ err, stack: event.stack.id }, 'could not measure an operation; its duration is left out of the metrics'))
      .finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  };
  deps.events.on('stack.transition', listener);
  return {
    settled: async () => {
      await Promise.all([...inFlight]);
    },
    stop: () => deps.events.off('stack.transition', listener),
  };
}
