/**
 * The provider contract. A provider turns a HOT template into a running environment somewhere
 * (OpenStack Heat, the local LXC runtime, or the in-memory fake) and nothing more: capacity,
 * failover, retries and timeouts belong to the orchestrator (services/ and jobs/).
 *
 * Call order and guarantees every provider must keep (the conformance suite in
 * test/contract/provider-contract.ts checks each one):
 *
 * 1. `create(req)` starts building a stack and returns its reference once the provider has accepted
 *    it; it may return before the stack is complete. It is idempotent by `req.name`: calling it
 *    again with the same name (after a crash, say) returns the reference of the existing stack
 *    instead of building a second one. A template the provider cannot run is refused by throwing a
 *    `ProviderError` with code `TEMPLATE_INVALID` before anything is built.
 * 2. `get(ref)` reports the stack's last action and its status, Heat-style, and the stack outputs
 *    once CREATE is COMPLETE. It returns `null` when the stack does not exist (never created, or
 *    deleted and gone).
 * 3. `suspend(ref)` / `resume(ref)` start the action; completion is observed with `get`. Suspending
 *    a suspended stack or resuming a running one succeeds without doing anything.
 * 4. `delete(ref)` starts deleting; deleting a stack that does not exist succeeds. After completion
 *    `get` returns null or action DELETE with status COMPLETE.
 * 5. `list()` returns every stack this provider holds whose name starts with `STACK_NAME_PREFIX`,
 *    so that the reconciler can find zombies and drift.
 * 6. Errors are `ProviderError`s whose `userMessage` is a sentence a learner can read and whose
 *    `detail` is for the log. Nothing secret (keys, passwords, tokens) goes into either.
 */

import { UserFacingError } from '../errors/user-facing-error.ts';

export const STACK_NAME_PREFIX = 'stacklab-';

export type ProviderAction = 'CREATE' | 'SUSPEND' | 'RESUME' | 'DELETE';
export type ProviderStatus = 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';

export type ParameterValue = string | number | boolean;

export interface CreateRequest {
  /** Deterministic and unique per stacklab stack: `stacklab-<stack id>`. */
  name: string;
  /** HOT template text (YAML). */
  template: string;
  /** Heat environment file text, if the lab has one. */
  environment?: string;
  /** Extra files a template refers to (nested templates, get_file), by the name used in the template. */
  files?: Record<string, string>;
  parameters: Record<string, ParameterValue>;
  /** The lab's launch timeout; Heat gets it as `timeout_mins`, others may use it as a deadline. */
  timeoutSeconds: number;
  /** Options the lab sets for the local runtime (e.g. outbound internet); others ignore them. */
  options?: { allowInternet?: boolean };
}

export interface StackRef {
  /** The provider's own id for the stack (Heat's uuid, the lxc runtime's name). */
  id: string;
  name: string;
}

export interface ProviderStack extends StackRef {
  action: ProviderAction;
  status: ProviderStatus;
  /** Why the stack is in this status (Heat's stack_status_reason); readable on failure. */
  reason: string;
  /** Template outputs (public_ip, private_key, password, reboot_on_resume, ...) once created. */
  outputs: Record<string, unknown>;
}

export interface ProviderStackSummary extends StackRef {
  action: ProviderAction;
  status: ProviderStatus;
  createdAt?: Date;
}

export interface Provider {
  /** The name labs use in `providers:` (e.g. "local", "cloud-a"). */
  readonly name: string;
  /** The implementation: "lxc", "openstack", "fake". */
  readonly kind: string;
  create(req: CreateRequest): Promise<StackRef>;
  get(ref: StackRef): Promise<ProviderStack | null>;
  suspend(ref: StackRef): Promise<void>;
  resume(ref: StackRef): Promise<void>;
  delete(ref: StackRef): Promise<void>;
  list(): Promise<ProviderStackSummary[]>;
  /** Check a template without creating anything; resolves with a list of problems (empty = fine). */
  validate?(req: Pick<CreateRequest, 'template' | 'environment' | 'files' | 'parameters'>): Promise<string[]>;
  /** Reboot the named servers of a stack (hastexo's `reboot_on_resume`); optional. */
  rebootServers?(ref: StackRef, servers: string[]): Promise<void>;
  /** Release connections and timers. */
  close?(): Promise<void>;
}

export type ProviderErrorCode =
  | 'TEMPLATE_INVALID'
  | 'AUTH_FAILED'
  | 'QUOTA_EXCEEDED'
  | 'UNAVAILABLE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRIVILEGES'
  | 'INTERNAL';

/** `message` is the sentence for the learner or author (what to do next where possible); `detail` is for the log. */
export class ProviderError extends UserFacingError<ProviderErrorCode> {
  declare readonly detail: string;
  constructor(code: ProviderErrorCode, userMessage: string, detail: string = userMessage, options?: { cause?: unknown }) {
    super(code, userMessage, detail, options);
  }

  /** The contract's name for `message`. */
  get userMessage(): string {
    return this.message;
  }
}

export function stackNameFor(stackId: string): string {
  return `${STACK_NAME_PREFIX}${stackId}`;
}
