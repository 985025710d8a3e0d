/**
 * Who may frame stacklab's pages, and the content security policies of those pages. The lab page and
 * the LTI pages live inside an LMS iframe, so they may be framed by the registered LTI platforms (the
 * origins of their issuer and login URLs) and by the origins in the setting frame_ancestors, and by no
 * one else: a foreign site cannot put the lab page under its own buttons (clickjacking).
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../app/context.ts';

/** The origin of an http(s) URL, or undefined for anything else (an issuer need not be a URL). */
export function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The configured origins, each checked (a bad entry is refused at start by the config schema). */
export function configuredAncestors(setting: string): string[] {
  return setting
    .split(/\s+/)
    .filter(Boolean)
    .map((entry) => originOf(entry))
    .filter((origin): origin is string => origin !== undefined);
}

/** `'self'` and every origin that may frame the pages, as a frame-ancestors source list. */
export async function frameAncestors(ctx: AppContext): Promise<string> {
  const platforms = await ctx.lti.platforms.list();
  const origins = new Set<string>(configuredAncestors(ctx.config.frame_ancestors));
  for (const p of platforms) {
    for (const url of [p.issuer, p.auth_login_url]) {
      const origin = originOf(url);
      if (origin) origins.add(origin);
    }
  }
  return ["'self'", ...[...origins].sort()].join(' ');
}

/** The lab page and the demo page: no inline script, so even a bad instructions file cannot run code. */
export function pageCsp(ancestors: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https:",
    "connect-src 'self' ws: wss:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}

export function scriptHash(script: string): string {
  return `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
}

/**
 * The LTI pages (auto-post back to the platform, the deep-linking picker, refusals): nothing loads,
 * only their own inline style and the one inline script named by its hash run, and forms go only
 * to this server or to `formTarget` (the platform's deep-linking return URL).
 */
export function ltiPageCsp(ancestors: string, options: { scripts?: string[]; formTarget?: string } = {}): string {
  const target = options.formTarget ? originOf(options.formTarget) : undefined;
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src ${options.scripts?.length ? options.scripts.map(scriptHash).join(' ') : "'none'"}`,
    "base-uri 'none'",
    `form-action 'self'${target ? ` ${target}` : ''}`,
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}
