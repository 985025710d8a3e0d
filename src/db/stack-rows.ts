/** Mapping between `stacks` rows and the `Stack` domain type. */
import type { Stack, StackEvent, StackEventKind } from '../domain/stack.ts';
import { reasonText, type HistoryReason } from '../infra/i18n/history-reasons.ts';
import { deadline } from '../domain/policy.ts';
import type { StackErrorCode } from '../domain/stack-errors.ts';
import type { StackState } from '../domain/states.ts';

export interface StackRow {
  id: string;
  learner: string;
  context: string;
  lab: string;
  run: string;
  state: StackState;
  provider: string | null;
  provider_stack_id: string | null;
  provider_stack_name: string;
  tried_providers: string[];
  error: string | null;
  error_code: StackErrorCode | null;
  attempts: number;
  public_ip: string | null;
  outputs: Record<string, unknown>;
  /** Whether sealed secrets are stored; the sealed blob itself is read only by getSealedSecrets. */
  has_secrets: boolean;
  suspend_timeout: number;
  delete_age: number;
  launch_timeout: number;
  op_deadline: Date | null;
  last_activity_at: Date;
  suspend_at: Date | null;
  suspend_by: Date | null;
  delete_by: Date | null;
  shelve_after: number;
  shelve_at: Date | null;
  departed_at: Date | null;
  departure_suspend_at: Date | null;
  relaunch: boolean;
  state_changed_at: Date;
  created_at: Date;
  updated_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  pool: boolean;
  template_hash: string | null;
  personalize: 'READY' | 'SUSPENDED' | null;
  claimed_at: Date | null;
}

const COLUMNS = [
  'id', 'learner', 'context', 'lab', 'run', 'state', 'provider', 'provider_stack_id', 'provider_stack_name', 'tried_providers',
  'error', 'error_code', 'attempts', 'public_ip', 'outputs', 'suspend_timeout', 'delete_age', 'launch_timeout', 'op_deadline',
  'last_activity_at', 'suspend_at', 'suspend_by', 'delete_by', 'shelve_after', 'shelve_at', 'departed_at', 'departure_suspend_at', 'relaunch', 'state_changed_at', 'created_at', 'updated_at',
  'lease_owner', 'lease_until', 'pool', 'template_hash', 'personalize', 'claimed_at',
] as const;

/**
 * The select list for a `StackRow`, optionally qualified by a table alias. Every read of a stack names its
 * columns instead of `*`, so the sealed secrets (a few KB per stack with a private key) never travel with
 * routine reads such as keepalives and listings.
 */
export function stackColumns(alias?: string): string {
  const q = alias ? `${alias}.` : '';
  return [...COLUMNS.map((c) => q + c), `(${q}secrets IS NOT NULL) AS has_secrets`].join(', ');
}

/**
 * The stack as the store will show it once activity at `at` is written (the keepalive statement in
 * StackStore.touchReady): later activity, later deadlines, the rest unchanged.
 */
export function afterActivity(stack: Stack, at: Date): Stack {
  const lastActivityAt = at > stack.lastActivityAt ? at : stack.lastActivityAt;
  return {
    ...stack,
    lastActivityAt,
    suspendAt: deadline(stack.suspendAt, lastActivityAt, stack.suspendTimeout),
    deleteBy: deadline(stack.deleteBy, lastActivityAt, stack.deleteAge),
    shelveAt: deadline(stack.shelveAt, lastActivityAt, stack.shelveAfter),
    updatedAt: at,
  };
}

/** A row as a Stack: suspendAt and deleteBy are the real deadlines derived from the stored review times (domain/policy.ts). */
export function toStack(row: StackRow): Stack {
  return {
    id: row.id,
    learner: row.learner,
    context: row.context,
    lab: row.lab,
    run: row.run,
    state: row.state,
    provider: row.provider,
    providerStackId: row.provider_stack_id,
    providerStackName: row.provider_stack_name,
    triedProviders: row.tried_providers ?? [],
    error: row.error,
    errorCode: row.error_code,
    attempts: row.attempts,
    publicIp: row.public_ip,
    outputs: row.outputs ?? {},
    hasSecrets: row.has_secrets,
    lastActivityAt: row.last_activity_at,
    suspendTimeout: row.suspend_timeout,
    deleteAge: row.delete_age,
    suspendAt: deadline(row.suspend_at, row.last_activity_at, row.suspend_timeout),
    suspendBy: row.suspend_by,
    deleteBy: deadline(row.delete_by, row.last_activity_at, row.delete_age),
    shelveAfter: row.shelve_after,
    shelveAt: deadline(row.shelve_at, row.last_activity_at, row.shelve_after),
    departedAt: row.departed_at,
    departureSuspendAt: row.departure_suspend_at,
    relaunch: row.relaunch,
    stateChangedAt: row.state_changed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    pool: row.pool ?? false,
    templateHash: row.template_hash ?? null,
    personalize: row.personalize ?? null,
    claimedAt: row.claimed_at ?? null,
  };
}

/**
 * A history reason as the three values an event row stores (migration 017): the English text, the
 * catalogue key, and the values as JSON text (each statement casts it to jsonb).
 */
export function reasonColumns(r: HistoryReason): [text: string, key: string, values: string] {
  return [reasonText(r), r.key, JSON.stringify(r.values)];
}

export interface EventRow {
  id: number;
  kind: StackEventKind;
  stack_id: string;
  from_state: StackState | null;
  to_state: StackState;
  reason: string;
  reason_key: string | null;
  reason_values: Record<string, string | number> | null;
  actor: string;
  at: Date;
  activity_at: Date | null;
}

export function toEvent(row: EventRow): StackEvent {
  return {
    id: row.id,
    kind: row.kind ?? 'transition',
    stackId: row.stack_id,
    fromState: row.from_state,
    toState: row.to_state,
    reason: row.reason,
    reasonKey: row.reason_key ?? null,
    reasonValues: row.reason_values ?? null,
    actor: row.actor,
    at: row.at,
    activityAt: row.activity_at ?? null,
  };
}
