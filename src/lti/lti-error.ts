/**
 * A refused LTI request: `reason` is stable (logs, metrics, tests), `message` is for the person in
 * the LMS, `detail` goes to the log only.
 */
export type LtiReason =
  | 'bad_request'
  | 'platform_unknown'
  | 'deployment_unknown'
  | 'state_unknown'
  | 'signature'
  | 'unknown_kid'
  | 'expired'
  | 'audience'
  | 'issuer'
  | 'nonce'
  | 'claims'
  | 'lab_missing'
  | 'forbidden'
  | 'platform_unreachable';

const STATUS: Record<LtiReason, number> = {
  bad_request: 400,
  platform_unknown: 400,
  deployment_unknown: 403,
  state_unknown: 401,
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
};

export class LtiError extends Error {
  readonly status: number;
  constructor(
    readonly reason: LtiReason,
    message: string,
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LtiError';
    this.status = STATUS[reason];
  }
}
