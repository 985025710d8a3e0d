/**
 * A lab that could not be reached, as a learner is told: by the gateway (terminal, desktop) and by the
 * progress checks alike. Each of them words `message` for its own page; `code` says what failed and
 * `detail` (the connector's own words, never a secret) goes to the log.
 */
import { UserFacingError } from '../errors/user-facing-error.ts';
import type { LabSshReason } from './lab-ssh.ts';

export type LabConnectionFailure =
  | LabSshReason
  /** The stack has no address yet (still starting). */
  | 'no-address'
  /** The remote desktop could not be set up (guacd missing or refusing, a tunnel that failed). */
  | 'desktop-unavailable';

/** What each failure means; docs/errors.md is generated from it. */
export const LAB_CONNECTION_FAILURES: Record<LabConnectionFailure, string> = {
  'no-credentials': 'The stack has neither a private key nor a password (yet): it is still starting or its template has no such output.',
  'login-refused': "An SSH server answered and refused the lab user's login.",
  'no-answer': 'No SSH server answered in time: starting, stopped, frozen or unreachable.',
  'unreachable-from-jump': 'The jump host could not open a channel to the server behind it.',
  'no-address': 'The stack has no public address yet.',
  'desktop-unavailable': 'The remote desktop could not be set up: guacd missing, unreachable or refusing, or a tunnel that failed.',
};

export class LabConnectionError extends UserFacingError<LabConnectionFailure> {}
