/**
 * The staff console's page: GET /console serves a shell; web/console-page.ts (bundled like the lab page,
 * src/http/static.ts) draws the sign-in or the dashboard with /console/api. No inline script (CSP), no
 * token in the page: the session is an HttpOnly cookie. Operators' words are English only: the catalogues
 * in locales/ are for learners (docs/i18n.md).
 *
 * Framing: the console acts on every course's stacks, so only its own site and the origins an operator
 * listed in frame_ancestors may frame it; the LTI platforms that may frame the lab page may not.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { configuredAncestors, pageCsp } from '../frame-policy.ts';
import { consoleApi } from './console-api.ts';
import { consoleLive } from './console-live.ts';

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stacklab console</title>
<link rel="stylesheet" href="/assets/console-page.css">
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="console-bar">
  <h1><a href="#/stacks">stacklab console</a></h1>
  <nav id="nav" aria-label="Console sections" hidden>
    <a href="#/stacks" data-section="stacks">Stacks</a>
    <a href="#/overview" data-section="overview">Providers and labs</a>
  </nav>
  <output id="live-counts" class="live-counts" aria-live="off" hidden></output>
  <span class="spacer"></span>
  <span id="who" class="who" hidden></span>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p><noscript>The console needs JavaScript.</noscript></main>
<script type="module" src="/assets/console-page.js"></script>
</body>
</html>
`;

export function consoleRoutes(ctx: AppContext) {
  return async function consoleRoutesPlugin(app: FastifyInstance): Promise<void> {
    const ancestors = ["'self'", ...configuredAncestors(ctx.config.frame_ancestors)].join(' ');
    app.get('/console', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('content-security-policy', pageCsp(ancestors))
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(SHELL),
    );
    await app.register(consoleApi(ctx));
    await app.register(consoleLive(ctx));
  };
}
