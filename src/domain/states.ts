/**
 * The closed set of stack states and the one table of legal transitions. The table is the only place
 * the states are listed: STATES and the type are derived from its keys, the pending and in-progress
 * sets from CLAIM_TARGET and OUTCOME.
 *
 * The table is enforced twice: by the store (db/stack-store.ts), which refuses to write an illegal pair,
 * and by the database itself (migration 006: a trigger on stacks and one on stack_events), so that no
 * process, tool or hand-written UPDATE can record one. The database also keeps the closed set with a
 * CHECK constraint (migration 001). Migration 010 replaced both lists for the shelved tier; a changed
 * table needs a new migration that replaces them again (test/store/legal-transitions.test.ts says so).
 */
const TABLE = {
  LAUNCH_PENDING: ['CREATING', 'LAUNCH_FAILED', 'DELETE_PENDING'],
  // CREATING -> LAUNCH_PENDING is failover to the next provider after a failed create.
  CREATING: ['READY', 'LAUNCH_FAILED', 'LAUNCH_PENDING', 'DELETE_PENDING'],
  // READY -> SUSPENDED / DELETED and SUSPENDED -> READY / DELETED: the reconciler correcting drift.
  // READY -> RESUME_PENDING: a running warm-pool stack claimed by a learner; its worker personalizes it
  // (docs/pools.md) without asking the provider to resume a stack that runs.
  READY: ['SUSPEND_PENDING', 'DELETE_PENDING', 'SUSPENDED', 'DELETED', 'RESUME_PENDING'],
  // SUSPEND_PENDING -> READY: a keepalive arrived before a worker claimed the suspend.
  SUSPEND_PENDING: ['SUSPENDING', 'READY', 'DELETE_PENDING'],
  SUSPENDING: ['SUSPENDED', 'SUSPEND_FAILED'],
  // SUSPENDED -> SHELVE_PENDING: the second tier of dormancy (domain/policy.ts isDormant).
  SUSPENDED: ['RESUME_PENDING', 'DELETE_PENDING', 'READY', 'DELETED', 'SHELVE_PENDING'],
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
  // The shelved tier (providers that can shelve: OpenStack's Nova). SHELVE_PENDING -> UNSHELVE_PENDING: the
  // learner came back before a worker claimed the shelve (the servers are only suspended; unshelving them
  // is a no-op and the stack is resumed).
  SHELVE_PENDING: ['SHELVING', 'UNSHELVE_PENDING', 'DELETE_PENDING'],
  SHELVING: ['SHELVED', 'SHELVE_FAILED'],
  // SHELVED -> DELETED: the reconciler, when the stack is gone from its provider.
  SHELVED: ['UNSHELVE_PENDING', 'DELETE_PENDING', 'DELETED'],
  UNSHELVE_PENDING: ['UNSHELVING', 'DELETE_PENDING'],
  UNSHELVING: ['READY', 'UNSHELVE_FAILED'],
  // A failed shelve is retried; some servers may be shelved and some not, which an unshelve handles too.
  SHELVE_FAILED: ['SHELVE_PENDING', 'UNSHELVE_PENDING', 'DELETE_PENDING'],
  UNSHELVE_FAILED: ['UNSHELVE_PENDING', 'DELETE_PENDING'],
} as const;

export type StackState = keyof typeof TABLE;

/** Every target is a state too (a typo in a target fails to compile here). */
export const TRANSITIONS: Readonly<Record<StackState, readonly StackState[]>> = TABLE;

export const STATES = Object.keys(TABLE) as readonly StackState[];

/** The in-progress state a worker moves a pending state into when it claims it. */
export const CLAIM_TARGET = {
  LAUNCH_PENDING: 'CREATING',
  SUSPEND_PENDING: 'SUSPENDING',
  RESUME_PENDING: 'RESUMING',
  DELETE_PENDING: 'DELETING',
  SHELVE_PENDING: 'SHELVING',
  UNSHELVE_PENDING: 'UNSHELVING',
} as const satisfies Partial<Record<StackState, StackState>>;

/** Where an in-progress state lands on success and on failure. */
export const OUTCOME = {
  CREATING: { ok: 'READY', failed: 'LAUNCH_FAILED' },
  SUSPENDING: { ok: 'SUSPENDED', failed: 'SUSPEND_FAILED' },
  RESUMING: { ok: 'READY', failed: 'RESUME_FAILED' },
  DELETING: { ok: 'DELETED', failed: 'DELETE_FAILED' },
  SHELVING: { ok: 'SHELVED', failed: 'SHELVE_FAILED' },
  UNSHELVING: { ok: 'READY', failed: 'UNSHELVE_FAILED' },
} as const satisfies Partial<Record<StackState, { ok: StackState; failed: StackState }>>;

export type PendingState = keyof typeof CLAIM_TARGET;
export type InProgressState = keyof typeof OUTCOME;

/** States that are requests waiting for a worker to claim them. */
export const PENDING_STATES = Object.keys(CLAIM_TARGET) as readonly PendingState[];
/** States in which a worker is (or should be) talking to a provider. */
export const IN_PROGRESS_STATES = Object.keys(OUTCOME) as readonly InProgressState[];
export const FAILED_STATES = Object.values(OUTCOME).map((o) => o.failed) as readonly StackState[];
/**
 * States that hold resources on a provider, counted against a provider's capacity (as hastexo did). A
 * shelved stack still holds its ports, addresses, volumes and images, and Nova still counts its servers
 * against the project's instance quota, so it occupies a place too.
 */
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
  'SHELVE_PENDING',
  'SHELVING',
  'SHELVED',
  'SHELVE_FAILED',
  'UNSHELVE_PENDING',
  'UNSHELVING',
  'UNSHELVE_FAILED',
] as const satisfies readonly StackState[];

/** The shelved tier: the states a learner coming back wakes with an unshelve (longer than a resume). */
export const SHELVED_TIER = ['SHELVE_PENDING', 'SHELVING', 'SHELVED', 'SHELVE_FAILED', 'UNSHELVE_PENDING', 'UNSHELVING', 'UNSHELVE_FAILED'] as const satisfies readonly StackState[];

export function canTransition(from: StackState, to: StackState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Whether one entry of a stack's history is legal: its creation (nothing -> LAUNCH_PENDING), a transition
 * of the table, or a worker taking over an operation whose previous worker's lease ran out (an
 * in-progress state to itself, recorded by StackStore.claim).
 */
export function isLegalStep(from: StackState | null, to: StackState): boolean {
  if (from === null) return to === 'LAUNCH_PENDING';
  if (from === to) return isIn(from, IN_PROGRESS_STATES);
  return canTransition(from, to);
}

/** Thrown when code asks for a move the table does not allow: a bug in the caller, not a race. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: StackState,
    readonly to: StackState,
  ) {
    super(`illegal stack transition ${from} -> ${to}: not in the transition table (src/domain/states.ts); the caller asked for a move the lifecycle does not allow`);
    this.name = 'IllegalTransitionError';
  }
}

/** Throws IllegalTransitionError unless every `from` may move to `to`. */
export function assertTransitions(from: readonly StackState[], to: StackState): void {
  for (const state of from) if (!canTransition(state, to)) throw new IllegalTransitionError(state, to);
}

export function isState(value: string): value is StackState {
  return (STATES as readonly string[]).includes(value);
}

export function isIn<T extends StackState>(state: StackState, set: readonly T[]): state is T {
  return (set as readonly StackState[]).includes(state);
}
