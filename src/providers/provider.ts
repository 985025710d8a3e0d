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
 *    deleted and gone). `get(ref, { outputs: false })` may leave the outputs out (a status read).
 * 3. `suspend(ref)` / `resume(ref)` start the action; completion is observed with `get`. Suspending
 *    a suspended stack or resuming a running one succeeds without doing anything.
 * 4. `delete(ref)` starts deleting; deleting a stack that does not exist succeeds. After completion
 *    `get` returns null or action DELETE with status COMPLETE.
 * 5. `list()` returns the stacklab stacks (names starting with `STACK_NAME_PREFIX`) this provider can
 *    see, each with the deployment it was created for (`deployment`, from the Heat tag or the local
 *    runtime's state file) where the provider records one. A provider that keeps deployments apart
 *    (the local runtime: one folder each) lists only its own deployment's stacks and those from
 *    before deployments existed.
 * 6. Ownership. A deployment (config `deployment_id`, or generated once into its store) creates
 *    stacks named `stacklab-<deployment>-<stack id>-<n>` and passes `deployment` in every
 *    `CreateRequest`; the provider records it with the stack (Heat: tag
 *    `stacklab-deployment-<id>`; local runtime: the state file in the deployment's own folder).
 *    The reconciler deletes a stack unknown to its store only when both the name and the recorded
 *    deployment are its own, so a deployment never deletes another's stack, whatever the age.
 *    Names from before deployments existed (`stacklab-<stack id>-<n>`, see stack-names.ts) carry no
 *    owner: rows that hold such a name are still managed by name (get, suspend, resume, delete,
 *    drift), but such a stack unknown to the store is never taken for a zombie, only logged once,
 *    because it may be another deployment's. The local runtime refuses to act on names of another
 *    deployment (delete of one is a no-op), so its shared host resources are never torn down for it.
 * 7. Dormancy (domain/dormancy.ts). `dormancy` says what the provider's cloud can do and bills; a
 *    provider without it suspends only (the local runtime). A provider whose dormancy says `canShelve`
 *    has `shelve` and `unshelve`, which are steps toward a goal rather than one action: each call looks
 *    at the stack's servers, asks for what is still needed and reports where they are, so a worker
 *    calls it again (after a pause) until COMPLETE or FAILED, and a worker that takes over a stack just
 *    carries on. `shelve` shelves a suspended stack's servers (offloading them when the policy says so);
 *    shelving a shelved stack reports COMPLETE. `unshelve` takes them off the shelf, COMPLETE once no
 *    server is shelved (a stack that was only suspended is COMPLETE at once); the orchestrator then
 *    wakes the stack with `resume` as usual. The servers keep their identity (ids, ports, addresses,
 *    volumes, key pair): the stack is the same one.
 * 8. Errors are `ProviderError`s whose `userMessage` is a sentence a learner can read and whose
 *    `detail` is for the log. Nothing secret (keys, passwords, tokens) goes into either.
 */

import type { DormancyPolicy } from '../domain/dormancy.ts';
import { UserFacingError } from '../errors/user-facing-error.ts';

export { STACK_NAME_PREFIX } from './stack-names.ts';

export type ProviderAction = 'CREATE' | 'SUSPEND' | 'RESUME' | 'DELETE';
export type ProviderStatus = 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';

export type ParameterValue = string | number | boolean;

export interface CreateRequest {
  /** Deterministic and unique per stacklab stack: `stacklab-<deployment>-<stack id>-<n>` (stack-names.ts). */
  name: string;
  /**
   * The deployment creating the stack; the provider records it with the stack (Heat tag). The services
   * always pass it; a stack created without one is nobody's zombie. The local runtime records the
   * deployment it was built for and refuses a request for another.
   */
  deployment?: string;
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
  /**
   * Why a FAILED action failed, when it is not the stack's fault: INTERRUPTED (a provider that runs actions
   * in stacklab's own process, as the local runtime does, lost the process mid-action). The worker that
   * takes the stack over builds an interrupted create again rather than failing the learner's launch.
   */
  cause?: 'INTERRUPTED';
}

export interface ProviderStackSummary extends StackRef {
  action: ProviderAction;
  status: ProviderStatus;
  createdAt?: Date;
  /** The deployment recorded with the stack (Heat tag, state file); absent when the stack has none. */
  deployment?: string;
}

/** Where a shelve or unshelve stands after one step (see the contract, point 7). */
export interface DormancyProgress {
  status: ProviderStatus;
  /** What is happening or what failed, readable (e.g. "2 of 3 servers shelved"). */
  reason: string;
  /**
   * Why a FAILED step failed, when the provider knows it is the cloud's room and not the stack: NO_ROOM
   * (the scheduler found no host for an unshelved server). The stack then fails with PROVIDER_FULL, and
   * the learner may start fresh on another provider instead of waiting for room.
   */
  cause?: 'NO_ROOM';
}

export interface GetOptions {
  /** False: only the action and status are wanted; the provider may return no outputs (cheaper). */
  outputs?: boolean;
}

export interface ResumeOptions {
  /**
   * The platform saw this stack's suspend complete and asked nothing of it since: it is suspended (or
   * already resumed by a resume cut short), so the provider need not look before resuming.
   */
  suspended?: boolean;
}

export interface Provider {
  /** The name labs use in `providers:` (e.g. "local", "cloud-a"). */
  readonly name: string;
  /** The implementation: "lxc", "openstack", "fake". */
  readonly kind: string;
  create(req: CreateRequest): Promise<StackRef>;
  get(ref: StackRef, opts?: GetOptions): Promise<ProviderStack | null>;
  suspend(ref: StackRef): Promise<void>;
  resume(ref: StackRef, opts?: ResumeOptions): Promise<void>;
  delete(ref: StackRef): Promise<void>;
  list(): Promise<ProviderStackSummary[]>;
  /** Check a template without creating anything; resolves with a list of problems (empty = fine). */
  validate?(req: Pick<CreateRequest, 'template' | 'environment' | 'files' | 'parameters'>): Promise<string[]>;
  /** What the cloud can do and bills about dormant stacks; absent: suspend only (domain/dormancy.ts SUSPEND_ONLY). */
  readonly dormancy?: DormancyPolicy;
  /** One step of shelving a suspended stack's servers (point 7); on providers that can shelve. */
  shelve?(ref: StackRef): Promise<DormancyProgress>;
  /** One step of taking a shelved stack's servers off the shelf; `resume` follows (point 7). */
  unshelve?(ref: StackRef): Promise<DormancyProgress>;
  /** Reboot the named servers of a stack (hastexo's `reboot_on_resume`); optional. */
  rebootServers?(ref: StackRef, servers: string[]): Promise<void>;
  /**
   * Removes what crashed actions of this deployment left on the provider's host outside any stack it
   * knows (the local runtime: firewall tables); never another deployment's. Returns what it removed.
   * The reconciler calls it each run; optional.
   */
  reclaimLeftovers?(): Promise<string[]>;
  /** Release connections and timers. */
  close?(): Promise<void>;
}

/** Why a provider call failed, as the operator's log says it; docs/errors.md is generated from this table. */
export const PROVIDER_ERRORS = {
  TEMPLATE_INVALID: "The provider refused the lab's template (Heat's validation, or the local runtime's evaluator); the author fixes it.",
  AUTH_FAILED: "The cloud refused stacklab's credentials (HTTP 401): check the provider's credentials.",
  QUOTA_EXCEEDED: 'No room: a cloud quota or rate limit (HTTP 413, 429), or the local runtime out of public addresses.',
  UNAVAILABLE: 'The provider did not answer or failed (timeouts, HTTP 5xx), or cannot run labs on this host yet (the local runtime without its set-up or image).',
  NOT_FOUND: 'The provider no longer has the stack or server the call named.',
  CONFLICT: 'The provider is busy with another operation on the same stack (HTTP 409).',
  PRIVILEGES: "stacklab's account may not do this (HTTP 403), or the local runtime cannot run on this host.",
  INTERNAL: 'An answer the provider adapter did not expect; the log has the provider’s own words.',
} as const satisfies Record<string, string>;

export type ProviderErrorCode = keyof typeof PROVIDER_ERRORS;

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
