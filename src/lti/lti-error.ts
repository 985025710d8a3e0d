/**
 * A refused LTI request: `reason` (its `code`) is stable (logs, metrics, tests), `message` is for the
 * person in the LMS, `detail` goes to the log only.
 */
import type { Sentence } from '../errors/sentence.ts';
import { UserFacingError } from '../errors/user-facing-error.ts';

export type LtiReason =
  | 'bad_request'
  | 'platform_unknown'
  | 'deployment_unknown'
  | 'state_unknown'
  | 'browser_binding'
  | 'signature'
  | 'unknown_kid'
  | 'expired'
  | 'audience'
  | 'issuer'
  | 'nonce'
  | 'claims'
  | 'lab_missing'
  | 'forbidden'
  | 'platform_unreachable'
  | 'busy';

/** The HTTP status of each refusal; docs/errors.md lists them. */
export const LTI_REFUSALS: Record<LtiReason, number> = {
  bad_request: 400,
  platform_unknown: 400,
  deployment_unknown: 403,
  state_unknown: 401,
  browser_binding: 401,
  signature: 401,
  unknown_kid: 401,
  expired: 401,
  audience: 401,
  issuer: 401,
  nonce: 401,
  claims: 400,
  lab_missing: 404,
  forbidden: 403,
  platform_unreachable: 502,
  busy: 503,
};

/** `message` is a catalogue sentence (`lti.refusal.*`): the refusal page says it in the reader's language. */
export class LtiError extends UserFacingError<LtiReason> {
  readonly status: number;
  declare readonly said: Sentence;
  /** The verified launch's language (`launch_presentation.locale`), when the refusal comes after verifying it. */
  readonly locale?: string;
  constructor(reason: LtiReason, message: Sentence, detail?: string, options?: { cause?: unknown; locale?: string }) {
    super(reason, message, detail, options);
    this.status = LTI_REFUSALS[reason];
    this.locale = options?.locale;
  }

  get reason(): LtiReason {
    return this.code;
  }
}
