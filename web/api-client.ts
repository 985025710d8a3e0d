/**
 * The page's side of the learner API: the session token (from the URL fragment, then sessionStorage,
 * never a cookie, so the page works inside an LMS iframe) and fetch with `Authorization: Bearer`.
 */
import { pageLocale, t } from './i18n.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STORAGE_KEY = 'stacklab.session';

/** Reads `#session=...` once, keeps it in sessionStorage and removes it from the address bar. */
export function takeSession(): string | null {
  const match = /(?:^#|&)session=([^&]+)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(STORAGE_KEY, token);
    } catch {}
    history.replaceState(null, '', location.pathname + location.search);
    return token;
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export class Api {
  constructor(readonly session: string) {}

  /** `signal`: aborts the request (it then fails with NETWORK). */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.session}`, 'accept-language': [pageLocale, ...navigator.languages].join(', '), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch {
      throw new ApiError(0, 'NETWORK', t('lab.network'));
    }
    const payload = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    if (!response.ok) throw new ApiError(response.status, payload.code ?? 'HTTP_' + response.status, payload.message ?? t('lab.httpStatus', { status: response.status }));
    return payload as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}
