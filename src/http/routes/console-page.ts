/**
 * The staff console's page: GET /console serves a shell; web/console-page.ts (bundled like the lab page,
 * src/http/static.ts) draws the sign-in or the dashboard with /console/api. No inline script (CSP), no
 * token in the page: the session is an HttpOnly cookie. It speaks the browser's language (Accept-Language,
 * or `?lang=`, then default_locale; docs/i18n.md), as the lab page does.
 *
 * Framing: the console acts on every course's stacks, so only its own site and the origins an operator
 * listed in frame_ancestors may frame it; the LTI platforms that may frame the lab page may not.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { translator } from '../../infra/i18n/catalogues.ts';
import { textDirection } from '../../infra/i18n/locale-info.ts';
import { configuredAncestors, pageCsp } from '../frame-policy.ts';
import { messagesScript } from '../page-i18n.ts';
import { requestLocale } from '../request-locale.ts';
import { oidcSettings } from '../../services/oidc-operators.ts';
import { consoleApi } from './console-api.ts';
import { consoleLive } from './console-live.ts';
import { consoleOidc } from './console-oidc.ts';
import { escapeHtml } from './learner-page.ts';

/** The catalogue keys web/console-page.ts and web/console/* format in the browser (the timeline's reasons: history.*). */
export const CONSOLE_SCRIPT_MESSAGES = ['console.', 'history.'];

/** `oidcProvider`: the OpenID provider's name for the sign-in's "Sign in with" link, when it is configured. */
function shell(locale: string, oidcProvider: string | undefined): string {
  const t = translator(locale);
  return `<!doctype html>
<html lang="${escapeHtml(locale)}" dir="${textDirection(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t('console.title'))}</title>
<link rel="stylesheet" href="/assets/console-page.css">
${messagesScript(locale, CONSOLE_SCRIPT_MESSAGES)}
</head>
<body${oidcProvider === undefined ? '' : ` data-oidc-provider="${escapeHtml(oidcProvider)}"`}>
<a class="skip-link" href="#main">${escapeHtml(t('console.skip'))}</a>
<header class="console-bar">
  <h1><a href="#/stacks">${escapeHtml(t('console.title'))}</a></h1>
  <nav id="nav" aria-label="${escapeHtml(t('console.sections'))}" hidden>
    <a href="#/stacks" data-section="stacks">${escapeHtml(t('console.navStacks'))}</a>
    <a href="#/overview" data-section="overview">${escapeHtml(t('console.navOverview'))}</a>
  </nav>
  <output id="live-counts" class="live-counts" aria-live="off" hidden></output>
  <span class="spacer"></span>
  <span id="who" class="who" hidden></span>
  <button id="sign-out" type="button" hidden>${escapeHtml(t('console.signOut'))}</button>
</header>
<main id="main" tabindex="-1"><p class="muted">${escapeHtml(t('console.loading'))}</p><noscript>${escapeHtml(t('console.needsJs'))}</noscript></main>
<script type="module" src="/assets/console-page.js"></script>
</body>
</html>
`;
}

export function consoleRoutes(ctx: AppContext) {
  return async function consoleRoutesPlugin(app: FastifyInstance): Promise<void> {
    const ancestors = ["'self'", ...configuredAncestors(ctx.config.frame_ancestors)].join(' ');
    const oidc = oidcSettings(ctx.config);
    app.get('/console', { schema: { hide: true } }, async (request, reply) =>
      reply
        .header('content-security-policy', pageCsp(ancestors))
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(shell(requestLocale(ctx.config, request), oidc?.providerName)),
    );
    await app.register(consoleApi(ctx));
    await app.register(consoleLive(ctx));
    if (oidc) await app.register(consoleOidc(ctx, oidc));
  };
}
