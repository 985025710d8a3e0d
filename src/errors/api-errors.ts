/**
 * The catalogue of API errors: a stable code, its HTTP status and the sentence a client shows when the
 * thrower has none more precise. docs/errors.md is generated from it; a test fails when they drift.
 */
import { sentence, type Sentence } from './sentence.ts';
import { UserFacingError } from './user-facing-error.ts';

export const API_ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is not valid.' },
  UNAUTHORIZED: { status: 401, message: 'Authentication is required: send a valid bearer token.' },
  FORBIDDEN: { status: 403, message: 'You may not act on this resource.' },
  SIGN_IN_FAILED: { status: 401, message: 'The operator name or the password is wrong; check both and try again.' },
  SIGN_IN_THROTTLED: { status: 429, message: 'Too many failed sign-ins for this name or from this address: wait the seconds the Retry-After header gives, then try again.' },
  LAB_NOT_FOUND: { status: 404, message: 'There is no lab with this id.' },
  STACK_NOT_FOUND: { status: 404, message: 'There is no stack with this id.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'The resource already exists or was changed by someone else; reload it and try again.' },
  INVALID_STATE: { status: 409, message: 'The stack is not in a state that allows this; reload its status and try again.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body has a content type this route does not take: send application/json.' },
  LIMIT_REACHED: { status: 429, message: 'A limit set by the course team was reached; wait a moment and try again.' },
  STACK_LIMIT_REACHED: {
    status: 409,
    message: 'You already have as many labs as one learner may have at once: ask your course team to delete one you no longer need, then open this lab again.',
  },
  LAUNCH_RATE_LIMITED: {
    status: 429,
    message: 'You started or reset labs too often in the last minute: wait the seconds the Retry-After header gives, then try again.',
  },
  USAGE_LIMIT_REACHED: {
    status: 409,
    message: 'You have used all the lab time this course allows for this lab, so it stays suspended; your work in it is kept. Ask your course team for more time.',
  },
  CONFIRMATION_REQUIRED: { status: 400, message: "Resetting deletes everything in the lab: send confirm: 'RESET' to go ahead." },
  NO_PROVIDER: { status: 503, message: 'No provider can run this lab right now; ask the course team to check the lab providers.' },
  UNAVAILABLE: { status: 503, message: 'The service is not ready yet; try again in a moment.' },
  INTERNAL: { status: 500, message: 'Something went wrong on the server; it has been logged.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** What a client receives: `detail` is only ever the client-safe part (which input is wrong). */
export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  detail?: string;
}

/**
 * An error answered by the HTTP API. Two details, kept apart:
 * - `detail` (the second argument) is for the log only: ids, states, what was refused and why.
 * - `clientDetail` is sent as the answer's `detail` and must be safe for the caller to see: which field
 *   of their own input is wrong and how (issue 14's `{code, message, detail}` for bad input), never an
 *   id, a state or anything about another learner.
 */
export class AppError extends UserFacingError<ApiErrorCode> {
  readonly status: number;
  readonly clientDetail?: string;
  /** Seconds after which the same request can succeed, sent as the Retry-After header (429, 503). */
  readonly retryAfterSeconds?: number;
  /**
   * `message`: a catalogue sentence more precise than the code's own (`error.<CODE>`, the default). A
   * plain string is English only: test/unit/learner-sentences.test.ts refuses one outside the few files
   * it names.
   */
  constructor(code: ApiErrorCode, detail?: string, options?: { cause?: unknown; message?: Sentence | string; clientDetail?: string; retryAfterSeconds?: number }) {
    super(code, options?.message ?? sentence(`error.${code}`), detail, options);
    this.status = API_ERRORS[code].status;
    this.clientDetail = options?.clientDetail;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** A client's own input is wrong: the reason (field names, limits) goes to the client as well as to the log. */
  static badInput(reason: string, message?: Sentence | string): AppError {
    return new AppError('BAD_REQUEST', reason, { clientDetail: reason, ...(message ? { message } : {}) });
  }

  toJSON(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.clientDetail ? { detail: this.clientDetail } : {}) };
  }
}
