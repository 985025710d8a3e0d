/**
 * Who gets stacklab's instructor rights (the deep-linking lab picker, and `Instructor` in the session)
 * from the LIS roles of an LTI 1.3 launch. docs/lti.md lists what each platform sends and what it gives.
 *
 * Roles come in three vocabularies: context roles (`…/lis/v2/membership#Instructor`, the role in this
 * course), institution roles (`…/lis/v2/institution/person#Instructor`, the person's role anywhere at the
 * school) and system roles (`…/lis/v2/system/person#Administrator`, the role in the LMS itself). A
 * Canvas user who teaches one course carries institution Instructor into every course, including those
 * where they are a student, so context roles decide whenever the launch carries any. Only a launch with
 * no context role at all (older Open edX, a platform administrator outside any course) is decided by its
 * institution and system roles.
 */

/** Short names of the session roles that mean instructor rights (src/http/session.ts). */
export const INSTRUCTOR_ROLES = ['Instructor', 'Administrator', 'TeachingAssistant', 'ContentDeveloper'];

export type RoleScope = 'context' | 'institution' | 'system';

export interface LisRole {
  scope: RoleScope;
  /** The principal role (`Instructor` for `membership/Instructor#TeachingAssistant`). */
  name: string;
  /** The sub-role, when the URI names one. */
  subRole?: string;
}

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/';

/** Context roles that manage the course. A sub-role alone (TeachingAssistant, Grader) does not. */
const CONTEXT_INSTRUCTOR = new Set(['instructor', 'administrator', 'contentdeveloper']);
/** Institution and system roles that count when the launch has no context role. */
const INSTITUTION_INSTRUCTOR = new Set(['instructor', 'administrator']);
const SYSTEM_INSTRUCTOR = new Set(['administrator', 'sysadmin']);

/**
 * Parses one role: a LIS v2 URI (case of the path ignored: Canvas writes `membership/instructor#…`),
 * an LTI 1.1 URN (`urn:lti:role:ims/lis/Instructor`) or a bare context role name, which LTI 1.3
 * deprecates but allows. Anything else (a vendor's own vocabulary) is not a LIS role.
 */
export function parseLisRole(role: string): LisRole | undefined {
  const lower = role.toLowerCase();
  if (lower.startsWith(LIS)) {
    const rest = role.slice(LIS.length);
    const [path, fragment] = rest.split('#');
    if (!fragment) return undefined;
    const p = path.toLowerCase();
    if (p === 'membership') return { scope: 'context', name: fragment };
    if (p.startsWith('membership/')) return { scope: 'context', name: path.slice('membership/'.length), subRole: fragment };
    if (p === 'institution/person') return { scope: 'institution', name: fragment };
    if (p === 'system/person') return { scope: 'system', name: fragment };
    return undefined;
  }
  const urn = /^urn:lti:(role|instrole|sysrole):ims\/lis\/([A-Za-z]+)(?:\/([A-Za-z]+))?$/.exec(role);
  if (urn) {
    const scope: RoleScope = urn[1] === 'role' ? 'context' : urn[1] === 'instrole' ? 'institution' : 'system';
    return { scope, name: urn[2], ...(urn[3] ? { subRole: urn[3] } : {}) };
  }
  if (/^[A-Za-z]+$/.test(role)) return { scope: 'context', name: role };
  return undefined;
}

/** True when the launch's roles give instructor rights in its course (see the header). */
export function grantsInstructorRights(roles: string[]): boolean {
  const parsed = roles.map(parseLisRole).filter((r): r is LisRole => r !== undefined);
  const context = parsed.filter((r) => r.scope === 'context');
  if (context.length) return context.some((r) => r.subRole === undefined && CONTEXT_INSTRUCTOR.has(r.name.toLowerCase()));
  return parsed.some(
    (r) => (r.scope === 'institution' && INSTITUTION_INSTRUCTOR.has(r.name.toLowerCase())) || (r.scope === 'system' && SYSTEM_INSTRUCTOR.has(r.name.toLowerCase())),
  );
}
