/**
 * Binding the OIDC login to the browser that started it (login CSRF / session fixation).
 *
 * Without it, anyone can start a login in their own browser, sign in to the platform as themselves, and
 * make a victim's browser post the resulting (state, id_token) to /lti/launch: the victim then works in
 * the attacker's lab, under the attacker's name (and grades). The state alone cannot tell the two
 * browsers apart, so the login leaves a value in the browser that started it and the launch asks for it
 * back. The value is an HMAC of the state under the 'lti-state' key: nothing to store, and a value read
 * in one's own browser is useless in another's, where only our origin can write it.
 *
 * Two places hold it, whichever the browser and the platform allow:
 * - a cookie named after the state (`__Host-` on https, so a sibling subdomain cannot plant one),
 *   HttpOnly, `SameSite=None; Secure; Partitioned` so it comes back inside the LMS iframe, including
 *   in Chrome with third-party cookies blocked (a partitioned cookie stays with the LMS's top-level site);
 * - the platform's postMessage storage (1EdTech "LTI Client Side postMessages" and "OIDC Login with LTI
 *   Client Side postMessages"), when the platform sends `lti_storage_target`: the login page puts the
 *   value with `lti.put_data`, and the launch asks for it with `lti.get_data` before it accepts.
 * When neither comes back (Safari on a platform without postMessage storage), the launch is accepted
 * or refused by the `lti.browser_binding` setting, and recorded either way.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Keys } from '../infra/keys.ts';

export type BindingEvidence = 'cookie' | 'storage' | 'none';

/** Form fields the storage check page posts back to /lti/launch (ours, not the platform's). */
export const STORAGE_RESULT_FIELD = 'stacklab_storage';
export const STORAGE_VALUE_FIELD = 'stacklab_binding';

/** What the storage check page found: the value, an answer without it, or no answer at all. */
export type StorageResult = 'found' | 'missing' | 'unavailable';

/** The value a browser must show for this state. */
export function bindingValue(keys: Keys, state: string): string {
  return createHmac('sha256', keys.key('lti-state')).update(`browser-binding\n${state}`).digest('base64url');
}

/** The platform storage key for a state (the spec suggests a key that contains the state). */
export function storageKey(state: string): string {
  return `stacklab-state-${state}`;
}

export interface CookieSecurity {
  /** The tool is reached over https: `__Host-` prefix, `Secure`. */
  https: boolean;
  /** Plain http on a loopback host: browsers treat it as secure, so `Secure` still applies. */
  loopback: boolean;
}

/** A cookie per state, so two labs opened at once in one course page do not overwrite each other's. */
export function stateCookieName(state: string, security: CookieSecurity): string {
  const id = createHash('sha256').update(state).digest('hex').slice(0, 16);
  return `${security.https ? '__Host-' : ''}stacklab-lti-${id}`;
}

function attributes(security: CookieSecurity, maxAgeSeconds: number): string {
  const base = `Path=/; Max-Age=${maxAgeSeconds}; HttpOnly`;
  // SameSite=None needs Secure; a plain-http non-loopback server gets a cookie only browsers that
  // still accept SameSite=None without Secure keep (docs/security.md: use https).
  return security.https || security.loopback ? `${base}; SameSite=None; Secure; Partitioned` : `${base}; SameSite=None`;
}

export function stateCookie(state: string, value: string, security: CookieSecurity, maxAgeSeconds: number): string {
  return `${stateCookieName(state, security)}=${value}; ${attributes(security, maxAgeSeconds)}`;
}

export function clearStateCookie(state: string, security: CookieSecurity): string {
  return `${stateCookieName(state, security)}=; ${attributes(security, 0)}`;
}

/** The request's cookies by name (the first of a repeated name, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export type BindingVerdict =
  | { evidence: 'cookie' | 'storage' }
  | { evidence: 'none'; why: string }
  | { refuse: string }
  | { checkStorage: true };

export interface BindingInput {
  expected: string;
  /** The state cookie, when it came back. */
  cookie?: string;
  /** `lti_storage_target` from the platform's form post. */
  storageTarget?: string;
  storageResult?: string;
  storageValue?: string;
}

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Decides a launch from what came back. A value that differs, or platform storage that answers but
 * does not hold the state, is the signature of a login made in another browser: refused whatever the
 * setting. No answer at all is 'none', for the setting to decide.
 */
export function judgeBinding(input: BindingInput): BindingVerdict {
  if (input.cookie !== undefined && input.cookie !== '') {
    return same(input.cookie, input.expected) ? { evidence: 'cookie' } : { refuse: 'the state cookie holds another value than this state’s' };
  }
  const result = input.storageResult as StorageResult | undefined;
  if (result === 'found') {
    return same(input.storageValue ?? '', input.expected) ? { evidence: 'storage' } : { refuse: 'the platform storage holds another value than this state’s' };
  }
  if (result === 'missing') return { refuse: 'the platform storage answered without this state: the login ran in another browser' };
  if (result === 'unavailable') return { evidence: 'none', why: 'no state cookie came back and the platform storage did not answer' };
  if (input.storageTarget) return { checkStorage: true };
  return { evidence: 'none', why: 'no state cookie came back and the platform offers no postMessage storage (lti_storage_target)' };
}
