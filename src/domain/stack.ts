import type { StackErrorCode } from './stack-errors.ts';
import type { StackState } from './states.ts';

/** One learner's environment for one lab in one context (course run). Unique on (learner, context, lab). */
export interface Stack {
  id: string;
  learner: string;
  context: string;
  lab: string;
  /** Course run passed to the template as `run` (parsed from an Open edX course key when there is one). */
  run: string;
  state: StackState;
  /** The provider the stack lives on (null until a worker picked one). */
  provider: string | null;
  providerStackId: string | null;
  providerStackName: string;
  /** Providers a launch already failed on, so failover tries the next one. */
  triedProviders: string[];
  /** Readable reason of the last failure, shown to the learner. */
  error: string | null;
  /** What kind of failure `error` describes (docs/errors.md). */
  errorCode: StackErrorCode | null;
  /** Attempts of the current operation (suspend or delete retries). */
  attempts: number;
  publicIp: string | null;
  /** Non-secret template outputs (never private_key or password). */
  outputs: Record<string, unknown>;
  hasSecrets: boolean;
  lastActivityAt: Date;
  /** Seconds without activity before the suspender acts, and before the reaper does (fixed at launch). */
  suspendTimeout: number;
  deleteAge: number;
  /** When the suspender suspends it unless a keepalive comes first. */
  suspendAt: Date | null;
  /** An explicit deadline set by an operator or the API, on top of idleness. */
  suspendBy: Date | null;
  /** When the lab page last said it went away (a departure beacon); activity after it cancels it. */
  departedAt: Date | null;
  /** departedAt + the lab's departure grace: when the suspender acts on the departure unless activity came after it. */
  departureSuspendAt: Date | null;
  /**
   * Seconds without activity after which a suspended stack is shelved (0 = never), fixed when its suspend
   * completed: the lab's `shelve_after`, else its provider's default, 0 on a provider that cannot shelve.
   */
  shelveAfter: number;
  /** When the shelving sweep shelves it (a SUSPENDED stack only), unless it is resumed first. */
  shelveAt: Date | null;
  /** When the reaper deletes it unless it is resumed first. */
  deleteBy: Date | null;
  /** Set by reset: launch again as soon as the delete completes. */
  relaunch: boolean;
  stateChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** An unclaimed warm-pool stack (docs/pools.md): its learner is the reserved `pool:<id>`. */
  pool: boolean;
  /** The hash of the lab's templates it was launched from (pool stacks; domain/pool.ts templateHash). */
  templateHash: string | null;
  /** Claimed from the pool and not yet made the learner's: the state it was claimed in (its worker resumes a SUSPENDED one). */
  personalize: 'READY' | 'SUSPENDED' | null;
  /** When it left the pool (null: never pooled); the cost report bills the time before it to the pool. */
  claimedAt: Date | null;
}

/**
 * What a history entry is: a move of the state (the transition table's, domain/states.ts), or something
 * course staff or an operator did to the stack that moved no state (a take-over of the learner's terminal,
 * a budget extension, ...), recorded with the stack's current state as both from and to (migration 015).
 */
export type StackEventKind = 'transition' | 'staff_action';

export interface StackEvent {
  id: number;
  kind: StackEventKind;
  stackId: string;
  fromState: StackState | null;
  toState: StackState;
  /** Why, in English (the operators' CLI and logs read it; entries written before migration 017 have only this). */
  reason: string;
  /** The same as a `history.*` catalogue key with its values (src/infra/i18n/history-reasons.ts), for pages that say it in their language; null before migration 017. */
  reasonKey: string | null;
  reasonValues: Record<string, string | number> | null;
  actor: string;
  at: Date;
  /** The stack's last activity when this entry was written (null before migration 013): learning time is told from it. */
  activityAt: Date | null;
}

/** Secret outputs, stored encrypted, decrypted only for the gateway and the checks. */
export interface StackSecrets {
  privateKey?: string;
  password?: string;
  /** The lab's other secret outputs (see secret-outputs.ts), by name. */
  outputs?: Record<string, unknown>;
}
