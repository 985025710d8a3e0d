/**
 * Turning OpenStack's error answers into ProviderErrors: one sentence a learner or author can act
 * on, and the service's own words (error type, message, request id) for the operator's log.
 */
import { ProviderError, type ProviderErrorCode } from '../provider.ts';
import { UNAVAILABLE_MESSAGE, type HttpResponse } from './http-client.ts';

interface ErrorBody {
  title?: string;
  explanation?: string;
  message?: string;
  error?: { type?: string; message?: string; title?: string };
}

/** The most specific message in a Heat or Keystone error body, without tracebacks. */
export function openStackMessage(res: HttpResponse): string {
  const body = (res.body ?? {}) as ErrorBody;
  const msg = body.error?.message ?? body.message ?? body.explanation ?? body.error?.title ?? body.title ?? res.text.slice(0, 300);
  const type = body.error?.type;
  return [type, String(msg ?? '').trim()].filter(Boolean).join(': ') || `HTTP ${res.status}`;
}

function requestId(res: HttpResponse): string {
  const id = res.headers.get('x-openstack-request-id') ?? res.headers.get('x-compute-request-id');
  return id ? ` [${id}]` : '';
}

export interface ErrorContext {
  /** e.g. "heat: create stack" */
  what: string;
  /** What a 400 means for this call: a bad template for create/validate, a bug otherwise. */
  badRequest?: ProviderErrorCode;
}

export function toProviderError(res: HttpResponse, ctx: ErrorContext): ProviderError {
  const message = openStackMessage(res);
  const detail = `${ctx.what}: HTTP ${res.status}: ${message}${requestId(res)}`;
  const quota = /quota|limit ?exceeded|LimitExceeded|maximum .* per/i.test(message);
  let code: ProviderErrorCode;
  let user: string;
  if (res.status === 413 || res.status === 429 || (quota && res.status < 500)) {
    code = 'QUOTA_EXCEEDED';
    user = 'The cloud has no room for another lab right now (a quota or limit was reached); please try again later.';
  } else if (res.status === 400 && ctx.badRequest === 'TEMPLATE_INVALID') {
    code = 'TEMPLATE_INVALID';
    user = `OpenStack Heat refused the lab's template: ${(res.body as ErrorBody | null)?.error?.message ?? message}`;
  } else if (res.status === 401) {
    code = 'AUTH_FAILED';
    user = "The cloud refused stacklab's credentials; the operator needs to check them.";
  } else if (res.status === 403) {
    code = 'PRIVILEGES';
    user = "stacklab's account on the cloud is not allowed to do this; the operator needs to grant it the right role.";
  } else if (res.status === 404) {
    code = 'NOT_FOUND';
    user = 'The lab environment was not found on the cloud.';
  } else if (res.status === 409) {
    code = 'CONFLICT';
    user = 'The lab environment is busy with another operation; please try again in a moment.';
  } else if (res.status >= 500) {
    code = 'UNAVAILABLE';
    user = UNAVAILABLE_MESSAGE;
  } else {
    code = 'INTERNAL';
    user = 'The cloud gave an unexpected answer; the operator can find the details in the log.';
  }
  return new ProviderError(code, user, detail);
}

export const TRUST_REFUSED_MESSAGE =
  "The cloud's Keystone refuses to let application-credential tokens create trusts (\"Delegated tokens cannot manage trusts\"), " +
  'and Heat needs a trust to create a stack. Configure this cloud with password authentication, ' +
  'or ask the cloud operator to allow it ([security_compliance] allow_insecure_application_credential_trust_escalation = true in keystone.conf).';

export function trustRefusedError(detail: string): ProviderError {
  return new ProviderError('PRIVILEGES', TRUST_REFUSED_MESSAGE, detail);
}
