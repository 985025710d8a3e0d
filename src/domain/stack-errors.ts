/**
 * Why a stack failed, as its `errorCode` (`error_code` in the store and the API): a closed set, so a
 * client or a dashboard can switch on it. `error` holds the sentence for the learner; this says what
 * kind of failure it was. docs/errors.md is generated from this table; a test fails when they drift.
 */
export const STACK_ERRORS = {
  LAB_NOT_FOUND: 'The lab was removed or failed to load after the launch was requested. Fix the lab (see the server log) and launch again.',
  TEMPLATE_INVALID: "A provider refused the lab's template. The author fixes the template; other providers are not tried.",
  NO_PROVIDER: "None of the lab's providers could take the launch: all full, disabled or already failed. Try later or add capacity.",
  CREATE_FAILED: "The launch failed on the last provider the lab lists; `error` has that provider's reason.",
  FAILOVER: "The launch failed on one provider and was handed to the next one; the stack is pending again.",
  NO_PROVIDER_STACK: 'The stack has no record on a provider to suspend or resume. Delete it and launch again.',
  SUSPEND_FAILED: 'The provider could not suspend the stack; the suspender retries up to `suspend_attempts` times.',
  RESUME_FAILED: 'The provider could not resume the stack. Launching again retries; reset gives a fresh stack.',
  SHELVE_FAILED: "The provider could not shelve the suspended stack's servers; the suspender retries up to `suspend_attempts` times, and the stack stays suspended (and billed) meanwhile.",
  UNSHELVE_FAILED: "The provider could not wake the shelved stack (unshelve its servers, then resume it). Launching again retries; reset gives a fresh stack.",
  PROVIDER_FULL:
    "The provider that holds the shelved stack had no room to wake it (Nova's scheduler found no host for a server). Launching again retries there; reset starts the lab fresh on another of the lab's providers when it has one (the work in it is lost).",
  PROVIDER_GONE:
    "The stack's provider is no longer in the configuration, so the stack can be neither resumed nor deleted there. Reset starts the lab fresh on another of the lab's providers and leaves the old provider stack to be deleted by hand (its name is in the stack's history and the log); deleting it retries until the provider is configured again.",
  PERSONALIZE_FAILED:
    "A stack taken from the lab's warm pool could not be made the learner's (their key and password pushed in, docs/pools.md); `error` has the script's reason. Launching again retries; reset gives a fresh stack.",
  DELETE_FAILED: 'The provider could not delete the stack; the reaper retries up to `delete_attempts` times.',
  TIMEOUT: 'An operation ran past its timeout and the watchdog failed it; `error` says which.',
  INTERNAL: 'An unexpected error inside stacklab; the server log has the detail under the stack id.',
} as const satisfies Record<string, string>;

export type StackErrorCode = keyof typeof STACK_ERRORS;

export function isStackErrorCode(value: unknown): value is StackErrorCode {
  return typeof value === 'string' && Object.hasOwn(STACK_ERRORS, value);
}
