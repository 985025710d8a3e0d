/** How LTI identities map onto stacklab's: learner ids, course runs and instructor roles. */
import { createHash } from 'node:crypto';
import { grantsInstructorRights } from '../domain/roles.ts';

/**
 * A stable, opaque learner id from (issuer, sub): the same person launching from the same platform
 * always gets the same stacks; the same sub from another platform is someone else.
 */
export function learnerId(issuer: string, sub: string): string {
  return `lti-${createHash('sha256').update(`${issuer}\n${sub}`).digest('hex').slice(0, 32)}`;
}

/** Open edX course keys: `course-v1:ORG+COURSE+RUN` (and the old `ORG/COURSE/RUN`). */
const COURSE_V1 = /^course-v1:([^+]+)\+([^+]+)\+([^+]+)$/;
const SLASHED = /^([^/]+)\/([^/]+)\/([^/]+)$/;

/** The course run an Open edX context id names, or undefined for other platforms' context ids. */
export function courseRun(contextId: string): string | undefined {
  const match = COURSE_V1.exec(contextId) ?? SLASHED.exec(contextId);
  return match ? match[3] : undefined;
}

/** True when the launch's LIS roles give instructor rights in its course: the rule is in src/domain/roles.ts. */
export function isInstructorRole(roles: string[]): boolean {
  return grantsInstructorRights(roles);
}

/** Session roles in the short form src/http/session.ts understands. */
export function sessionRoles(ltiRoles: string[]): string[] {
  return isInstructorRole(ltiRoles) ? ['Instructor', 'Learner'] : ['Learner'];
}
