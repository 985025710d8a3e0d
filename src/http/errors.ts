/**
 * The one catalogue of errors with stable codes, a message for the user and an HTTP status.
 * docs/errors.md is generated from it; a test fails when they drift.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is not valid.' },
  UNAUTHORIZED: { status: 401, message: 'Authentication is required: send a valid bearer token.' },
  FORBIDDEN: { status: 403, message: 'You may not act on this resource.' },
  LAB_NOT_FOUND: { status: 404, message: 'There is no lab with this id.' },
  STACK_NOT_FOUND: { status: 404, message: 'There is no stack with this id.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'The resource already exists or was changed by someone else; reload it and try again.' },
  INVALID_STATE: { status: 409, message: 'The stack is not in a state that allows this; reload its status and try again.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body has a content type this route does not take: send application/json.' },
  LIMIT_REACHED: { status: 429, message: 'A limit set by the course team was reached; wait a moment and try again.' },
  CONFIRMATION_REQUIRED: { status: 400, message: "Resetting deletes everything in the lab: send confirm: 'RESET' to go ahead." },
  NO_PROVIDER: { status: 503, message: 'No provider can run this lab right now; ask the course team to check the lab providers.' },
  UNAVAILABLE: { status: 503, message: 'The service is not ready yet; try again in a moment.' },
  INTERNAL: { status: 500, message: 'Something went wrong on the server; it has been logged.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? ERRORS[code].message, options);
    this.name = 'AppError';
    this.status = ERRORS[code].status;
  }

  toJSON(): { code: ErrorCode; message: string; detail?: string } {
    return { code: this.code, message: this.message, ...(this.detail ? { detail: this.detail } : {}) };
  }
}
