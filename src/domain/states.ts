/**
 * The closed set of stack states and the one table of legal transitions.
 * The database enforces the same set with a CHECK constraint (see db/migrations).
 */
export const STATES = [
  'LAUNCH_PENDING',
  'CREATING',
  'READY',
  'SUSPEND_PENDING',
  'SUSPENDING',
  'SUSPENDED',
  'RESUME_PENDING',
  'RESUMING',
  'DELETE_PENDING',
  'DELETING',
  'DELETED',
  'LAUNCH_FAILED',
  'SUSPEND_FAILED',
  'RESUME_FAILED',
  'DELETE_FAILED',
] as const;

export type StackState = (typeof STATES)[number];

export const TRANSITIONS: Readonly<Record<StackState, readonly StackState[]>> = {
  LAUNCH_PENDING: ['CREATING', 'LAUNCH_FAILED', 'DELETE_PENDING'],
  // CREATING -> LAUNCH_PENDING is failover to the next provider after a failed create.
  CREATING: ['READY', 'LAUNCH_FAILED', 'LAUNCH_PENDING', 'DELETE_PENDING'],
  // READY -> SUSPENDED / DELETED and SUSPENDED -> READY / DELETED: the reconciler correcting drift.
  READY: ['SUSPEND_PENDING', 'DELETE_PENDING', 'SUSPENDED', 'DELETED'],
  // SUSPEND_PENDING -> READY: a keepalive arrived before a worker claimed the suspend.
  SUSPEND_PENDING: ['SUSPENDING', 'READY', 'DELETE_PENDING'],
  SUSPENDING: ['SUSPENDED', 'SUSPEND_FAILED'],
  SUSPENDED: ['RESUME_PENDING', 'DELETE_PENDING', 'READY', 'DELETED'],
  RESUME_PENDING: ['RESUMING', 'DELETE_PENDING'],
  RESUMING: ['READY', 'RESUME_FAILED'],
  DELETE_PENDING: ['DELETING'],
  DELETING: ['DELETED', 'DELETE_FAILED'],
  DELETED: ['LAUNCH_PENDING'],
  LAUNCH_FAILED: ['LAUNCH_PENDING', 'DELETE_PENDING'],
  // A failed suspend is retried; the stack may still be running, so it can also be resumed.
  SUSPEND_FAILED: ['SUSPEND_PENDING', 'RESUME_PENDING', 'DELETE_PENDING'],
  RESUME_FAILED: ['RESUME_PENDING', 'DELETE_PENDING'],
  DELETE_FAILED: ['DELETE_PENDING'],
};

/** States in which a worker is (or should be) talking to a provider. */
export const IN_PROGRESS_STATES = ['CREATING', 'SUSPENDING', 'RESUMING', 'DELETING'] as const satisfies readonly StackState[];
/** States that are requests waiting for a worker to claim them. */
export const PENDING_STATES = ['LAUNCH_PENDING', 'SUSPEND_PENDING', 'RESUME_PENDING', 'DELETE_PENDING'] as const satisfies readonly StackState[];
export const FAILED_STATES = ['LAUNCH_FAILED', 'SUSPEND_FAILED', 'RESUME_FAILED', 'DELETE_FAILED'] as const satisfies readonly StackState[];
/** States that hold resources on a provider, counted against a provider's capacity (as hastexo did). */
export const OCCUPYING_STATES = [
  'CREATING',
  'READY',
  'SUSPEND_PENDING',
  'SUSPENDING',
  'SUSPENDED',
  'RESUME_PENDING',
  'RESUMING',
  'SUSPEND_FAILED',
  'RESUME_FAILED',
  'DELETE_PENDING',
  'DELETING',
  'DELETE_FAILED',
] as const satisfies readonly StackState[];

export type PendingState = (typeof PENDING_STATES)[number];
export type InProgressState = (typeof IN_PROGRESS_STATES)[number];

/** The in-progress state a worker moves a pending state into when it claims it. */
export const CLAIM_TARGET: Readonly<Record<PendingState, InProgressState>> = {
  LAUNCH_PENDING: 'CREATING',
  SUSPEND_PENDING: 'SUSPENDING',
  RESUME_PENDING: 'RESUMING',
  DELETE_PENDING: 'DELETING',
};

/** Where an in-progress state lands on success and on failure. */
export const OUTCOME: Readonly<Record<InProgressState, { ok: StackState; failed: StackState }>> = {
  CREATING: { ok: 'READY', failed: 'LAUNCH_FAILED' },
  SUSPENDING: { ok: 'SUSPENDED', failed: 'SUSPEND_FAILED' },
  RESUMING: { ok: 'READY', failed: 'RESUME_FAILED' },
  DELETING: { ok: 'DELETED', failed: 'DELETE_FAILED' },
};

export function canTransition(from: StackState, to: StackState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isState(value: string): value is StackState {
  return (STATES as readonly string[]).includes(value);
}

export function isIn<T extends StackState>(state: StackState, set: readonly T[]): state is T {
  return (set as readonly StackState[]).includes(state);
}
