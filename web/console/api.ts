/** Calls to /console/api with the session cookie (sent by the browser; the page never sees it). */
import { pageLocale, t } from '../i18n.ts';

export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** Told when any call finds the session gone, so the page goes back to the sign-in form. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`/console/api${path}`, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    // The page's language first, so error sentences come back in it (docs/i18n.md).
    headers: { 'accept-language': [pageLocale, ...navigator.languages].join(', '), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    const error = new ConsoleApiError(response.status, String(data.code ?? 'ERROR'), String(data.message ?? response.statusText), data.detail as string | undefined);
    if (response.status === 401 && path !== '/sign-in') onSignedOut();
    throw error;
  }
  return data as T;
}

export function errorText(error: unknown): string {
  if (error instanceof ConsoleApiError) return error.detail ? t('console.errorWithDetail', { message: error.message, detail: error.detail }) : error.message;
  return t('console.unreachable', { reason: (error as Error).message });
}
