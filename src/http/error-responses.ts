/**
 * The error answers of each documented route, for the OpenAPI description (/docs): every status a route
 * can answer besides success, with the `{code, message, detail}` shape and the codes it may carry.
 * Common answers (bad input, authentication, body limits, server fault) are added to every route by
 * `documentErrors`; what only some routes answer (not found, state, limits) is in ROUTE_ERRORS, next to
 * the route's pattern. A test checks that every documented route has its entry here.
 */
import type { RouteOptions } from 'fastify';
import { API_ERRORS, type ApiErrorCode } from '../errors/api-errors.ts';

type Schema = Record<string, unknown>;

/** The response schemas for these codes, one per status, each naming its codes and what they mean. */
export function errorResponses(codes: readonly ApiErrorCode[]): Record<number, Schema> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = API_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const answers: Record<number, Schema> = {};
  for (const [status, list] of byStatus) {
    answers[status] = {
      description: list.map((code) => `${code}: ${API_ERRORS[code].message}`).join(' | '),
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: list },
        message: { type: 'string', description: 'For people: what went wrong and what to do next' },
        detail: { type: 'string', description: 'Sent only when safe for the caller: which field of the request is wrong' },
      },
    };
  }
  return answers;
}

const STACK = ['STACK_NOT_FOUND'] as const;
const STACK_STATE = ['STACK_NOT_FOUND', 'INVALID_STATE'] as const;
const LAUNCH = ['LAB_NOT_FOUND', 'INVALID_STATE', 'STACK_LIMIT_REACHED', 'LAUNCH_RATE_LIMITED', 'USAGE_LIMIT_REACHED'] as const;
const CHECK = ['STACK_NOT_FOUND', 'LAB_NOT_FOUND', 'INVALID_STATE', 'NOT_FOUND'] as const;

/** What each documented route may answer beyond the common errors, by "METHOD pattern". */
export const ROUTE_ERRORS: Record<string, readonly ApiErrorCode[]> = {
  'GET /api/v1/labs': [],
  'GET /api/v1/labs/:id': ['LAB_NOT_FOUND'],
  'GET /api/v1/pools': [],
  'GET /api/v1/schedules': [],
  'POST /api/v1/schedules': ['LAB_NOT_FOUND'],
  'DELETE /api/v1/schedules/:id': ['NOT_FOUND'],
  'POST /api/v1/course-opens': [],
  'POST /api/v1/stacks': LAUNCH,
  'GET /api/v1/stacks': [],
  'GET /api/v1/stacks/:id': STACK,
  'GET /api/v1/stacks/:id/events': STACK,
  'POST /api/v1/stacks/:id/keepalive': STACK_STATE,
  'POST /api/v1/stacks/:id/suspend': STACK_STATE,
  'POST /api/v1/stacks/:id/resume': [...STACK_STATE, 'USAGE_LIMIT_REACHED'],
  'POST /api/v1/stacks/:id/reset': [...STACK_STATE, 'CONFIRMATION_REQUIRED', 'LAUNCH_RATE_LIMITED'],
  'DELETE /api/v1/stacks/:id': STACK_STATE,
  'POST /api/v1/stacks/:id/check': CHECK,
  'GET /api/v1/stacks/:id/check': CHECK,
  'GET /api/v1/me': [],
  'GET /api/v1/me/labs/:lab': ['LAB_NOT_FOUND'],
  'POST /api/v1/me/labs/:lab/launch': LAUNCH,
  'GET /api/v1/me/stacks/:id': [...STACK, 'UNAVAILABLE'],
  'POST /api/v1/me/stacks/:id/keepalive': STACK_STATE,
  'POST /api/v1/me/stacks/:id/resume': [...STACK_STATE, 'LAB_NOT_FOUND', 'STACK_LIMIT_REACHED', 'LAUNCH_RATE_LIMITED', 'USAGE_LIMIT_REACHED'],
  'POST /api/v1/me/stacks/:id/reset': [...STACK_STATE, 'CONFIRMATION_REQUIRED', 'LAUNCH_RATE_LIMITED'],
  'POST /api/v1/me/stacks/:id/departure-token': STACK,
  'POST /api/v1/departures': STACK,
  'POST /api/v1/me/stacks/:id/connections': [...STACK_STATE, 'LAB_NOT_FOUND'],
  'POST /api/v1/me/stacks/:id/check': CHECK,
  'GET /api/v1/me/stacks/:id/check': CHECK,
  'GET /api/v1/class': [],
  'POST /api/v1/class/stacks/:id/reset': [...STACK_STATE, 'CONFIRMATION_REQUIRED', 'LAUNCH_RATE_LIMITED'],
  'POST /api/v1/class/stacks/:id/shadow': [...STACK_STATE, 'LAB_NOT_FOUND'],
  'GET /api/v1/class/stacks/:id/recordings': STACK,
  'GET /api/v1/class/stacks/:id/staff-actions': STACK,
  'POST /api/v1/class/stacks/:id/budget/extensions': [...STACK_STATE, 'LAB_NOT_FOUND'],
  'GET /api/v1/class/recordings/:id': ['NOT_FOUND'],
  // Usage limits and the cost report (routes/usage.ts): the operator's and the instructors' (their course only).
  'GET /api/v1/usage': ['LAB_NOT_FOUND'],
  'POST /api/v1/usage/extensions': ['LAB_NOT_FOUND'],
  'PUT /api/v1/usage/limits': ['LAB_NOT_FOUND'],
  'DELETE /api/v1/usage/limits': [],
  'GET /api/v1/reports/cost': [],
  'GET /api/v1/course/usage': ['LAB_NOT_FOUND'],
  'POST /api/v1/course/usage/extensions': ['LAB_NOT_FOUND'],
  'GET /api/v1/course/reports/cost': [],
  'GET /api/v1/lti/platforms': [],
  'GET /api/v1/lti/platforms/:name': ['NOT_FOUND'],
  // A name already registered, or a platform that conflicts with another (lti-admin.ts uses INVALID_STATE).
  'POST /api/v1/lti/platforms': ['INVALID_STATE'],
  'PUT /api/v1/lti/platforms/:name': ['INVALID_STATE'],
  'DELETE /api/v1/lti/platforms/:name': ['NOT_FOUND'],
  'GET /api/v1/lti/keys': [],
  'POST /api/v1/lti/keys/rotate': [],
  'GET /api/v1/lti/grades': [],
  'GET /.well-known/jwks.json': [],
  'GET /lti/config': [],
};

function isHidden(route: RouteOptions): boolean {
  return Boolean((route.schema as { hide?: boolean } | undefined)?.hide) || Boolean((route as { websocket?: boolean }).websocket) || route.method === 'HEAD';
}

/**
 * For fastify's onRoute hook: adds the error answers to a documented route's schema. Every route can
 * answer a bad request (a bad URL at least) and a server fault; one behind a token or session also
 * 401 and 403; one that takes a body also 413 and 415.
 */
export function documentErrors(route: RouteOptions): void {
  if (isHidden(route)) return;
  const schema = (route.schema ??= {}) as { security?: unknown[]; response?: Record<string, unknown> };
  const methods = ([] as string[]).concat(route.method);
  const codes: ApiErrorCode[] = ['BAD_REQUEST', 'INTERNAL'];
  if (!(Array.isArray(schema.security) && schema.security.length === 0)) codes.push('UNAUTHORIZED', 'FORBIDDEN');
  if (methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')) codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  for (const method of methods) codes.push(...(ROUTE_ERRORS[`${method} ${route.url}`] ?? []));
  schema.response = { ...errorResponses(codes), ...schema.response };
}
