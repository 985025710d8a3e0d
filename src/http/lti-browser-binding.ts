/**
 * The HTTP side of binding an LTI login to its browser (the rules are in src/lti/browser-binding.ts):
 * the state cookie and storage page at /lti/login, and the check at /lti/launch before the id_token
 * is verified. Kept apart from the routes so lti.ts stays a list of endpoints.
 */
import { pageLanguage } from './request-locale.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { AppContext } from '../app/context.ts';
import { isLoopbackHost } from '../domain/loopback.ts';
import {
  bindingValue,
  clearStateCookie,
  judgeBinding,
  parseCookies,
  stateCookie,
  stateCookieName,
  storageKey,
  STORAGE_RESULT_FIELD,
  STORAGE_VALUE_FIELD,
  type BindingEvidence,
  type CookieSecurity,
} from '../lti/browser-binding.ts';
import { STORAGE_GET_SCRIPT, STORAGE_PUT_SCRIPT, storageCheckPage, storagePutPage, type StorageTarget } from '../lti/html.ts';
import type { LtiModule } from '../lti/lti-module.ts';
import { LtiError } from '../lti/lti-error.ts';
import type { Platform } from '../lti/platforms.ts';
import { frameAncestors, ltiPageCsp, originOf } from './frame-policy.ts';
import { sentence } from '../errors/sentence.ts';

type Form = Record<string, string | undefined>;

/** Frame names as platforms send them (`_parent`, Canvas's `post_message_forwarding`); anything else is ignored. */
const FRAME_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function storageFrame(value: string | undefined): string | undefined {
  return value && FRAME_NAME.test(value) ? value : undefined;
}

export function cookieSecurity(base: string): CookieSecurity {
  const url = new URL(base);
  return { https: url.protocol === 'https:', loopback: isLoopbackHost(url.hostname) };
}

/**
 * Answers the login: the state cookie, and either the redirect to the platform or, when the platform
 * offers postMessage storage, the page that stores the value there first.
 */
export async function answerLogin(ctx: AppContext, lti: LtiModule, reply: FastifyReply, opts: { base: string; platform: Platform; state: string; authUrl: string; storageTarget?: string }) {
  const value = bindingValue(ctx.keys, opts.state);
  reply.header('set-cookie', stateCookie(opts.state, value, cookieSecurity(opts.base), lti.stateTtlSeconds)).header('cache-control', 'no-store');
  const frame = storageFrame(opts.storageTarget);
  const origin = originOf(opts.platform.auth_login_url);
  if (!frame || !origin) return reply.redirect(opts.authUrl, 302);
  const csp = ltiPageCsp(await frameAncestors(ctx), { scripts: [STORAGE_PUT_SCRIPT] });
  return reply
    .header('content-security-policy', csp)
    .type('text/html; charset=utf-8')
    .send(storagePutPage(pageLanguage(ctx.config, reply.request), opts.authUrl, { frame, origin, key: storageKey(opts.state) }, value));
}

/** The platform a launch claims to come from, for the storage page's target origin (verified later). */
async function claimedPlatform(lti: LtiModule, idToken: string | undefined): Promise<Platform | undefined> {
  try {
    const claims = decodeJwt(idToken ?? '');
    const audience = typeof claims.azp === 'string' ? claims.azp : Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    return typeof claims.iss === 'string' ? await lti.platforms.find(claims.iss, audience) : undefined;
  } catch {
    return undefined;
  }
}

export type LaunchBinding = { evidence: BindingEvidence; why?: string; clearCookie: string } | { answered: true };

const REFUSAL = sentence('lti.refusal.bindingRefused');

/**
 * Checks that the launch comes from the browser that logged in. Returns what bound it (the caller
 * counts and logs it once the id_token is verified), or `answered` when it sent the storage page, or
 * throws a `browser_binding` refusal.
 */
export async function checkLaunchBinding(ctx: AppContext, lti: LtiModule, request: FastifyRequest, reply: FastifyReply, form: Form, base: string): Promise<LaunchBinding> {
  const security = cookieSecurity(base);
  const state = form.state ?? '';
  const verdict = judgeBinding({
    expected: bindingValue(ctx.keys, state),
    cookie: parseCookies(request.headers.cookie).get(stateCookieName(state, security)),
    storageTarget: storageFrame(form.lti_storage_target),
    storageResult: form[STORAGE_RESULT_FIELD],
    storageValue: form[STORAGE_VALUE_FIELD],
  });
  if ('refuse' in verdict) {
    lti.bindings.refused++;
    throw new LtiError('browser_binding', REFUSAL, verdict.refuse);
  }
  if ('checkStorage' in verdict) {
    const platform = await claimedPlatform(lti, form.id_token);
    const origin = platform ? originOf(platform.auth_login_url) : undefined;
    const frame = storageFrame(form.lti_storage_target);
    if (origin && frame) {
      const target: StorageTarget = { frame, origin, key: storageKey(state) };
      const csp = ltiPageCsp(await frameAncestors(ctx), { scripts: [STORAGE_GET_SCRIPT] });
      const fields = { id_token: form.id_token ?? '', state, lti_storage_target: frame };
      reply.header('content-security-policy', csp).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(storageCheckPage(pageLanguage(ctx.config, request), '/lti/launch', fields, target));
      return { answered: true };
    }
    return { evidence: 'none', why: 'the launch names no registered platform to ask for its storage', clearCookie: clearStateCookie(state, security) };
  }
  if (verdict.evidence === 'none' && lti.settings.browser_binding === 'required') {
    lti.bindings.refused++;
    throw new LtiError('browser_binding', REFUSAL, `${verdict.why}; lti.browser_binding is 'required'`);
  }
  return { ...verdict, clearCookie: clearStateCookie(state, security) };
}
