/**
 * Operators' sign-in to the console with the deployment's OpenID provider (docs/console.md), when
 * oidc_issuer is set: GET /console/oidc/start sends the browser to the provider with a new flow's checks
 * in a sealed cookie; the provider sends it back to GET /console/oidc/callback, which checks the answer
 * (services/oidc-sign-in.ts), decides whether the user is an operator (services/oidc-operators.ts) and
 * gives them the same session cookie as a password sign-in, then the console. Anyone it does not sign in
 * gets a page in their language that says why and leads back to the sign-in; the log says more.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { judge, type Claims, type OidcSettings } from '../../services/oidc-operators.ts';
import { OidcSignIn, OidcSignInError, type OidcFailure } from '../../services/oidc-sign-in.ts';
import { textDirection } from '../../infra/i18n/locale-info.ts';
import { sessionCookie } from '../console-auth.ts';
import { configuredAncestors, pageCsp } from '../frame-policy.ts';
import { clearedFlowCookie, flowChecks, flowCookie } from '../oidc-flow-cookie.ts';
import { pageLanguage } from '../request-locale.ts';
import { escapeHtml } from './learner-page.ts';

type Refusal = OidcFailure | 'not-operator' | 'no-usable-name';

/** Each refusal's status, title and sentence (catalogue keys, formatted with the provider's name). */
const REFUSALS: Record<Refusal, { status: number; title: string; message: string }> = {
  'not-operator': { status: 403, title: 'console.oidcRefusedTitle', message: 'console.oidcNotOperator' },
  'no-usable-name': { status: 403, title: 'console.oidcRefusedTitle', message: 'console.oidcNoName' },
  denied: { status: 401, title: 'console.oidcFailedTitle', message: 'console.oidcDenied' },
  invalid: { status: 400, title: 'console.oidcFailedTitle', message: 'console.oidcInvalid' },
  unreachable: { status: 503, title: 'console.oidcFailedTitle', message: 'console.oidcUnreachable' },
};

export function consoleOidc(ctx: AppContext, settings: OidcSettings) {
  const oidc = new OidcSignIn(settings);
  const log = ctx.logger.child({ component: 'console-oidc' });
  const ancestors = ["'self'", ...configuredAncestors(ctx.config.frame_ancestors)].join(' ');

  function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal, name = ''): FastifyReply {
    const { locale, t } = pageLanguage(ctx.config, request);
    const { status, title, message } = REFUSALS[refusal];
    const values = { provider: settings.providerName, name };
    const html = `<!doctype html>
<html lang="${escapeHtml(locale)}" dir="${textDirection(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t(title))} · ${escapeHtml(t('console.title'))}</title>
<link rel="stylesheet" href="/assets/console-page.css">
</head>
<body>
<main id="main" class="sign-in-refused">
<h1>${escapeHtml(t(title))}</h1>
<p id="refusal" role="alert">${escapeHtml(t(message, values))}</p>
<p><a href="/console">${escapeHtml(t('console.oidcBack'))}</a></p>
</main>
</body>
</html>
`;
    return reply
      .code(status)
      .header('set-cookie', clearedFlowCookie(ctx.config))
      .header('content-security-policy', pageCsp(ancestors))
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html);
  }

  return async function consoleOidcPlugin(app: FastifyInstance): Promise<void> {
    app.get('/console/oidc/start', { schema: { hide: true } }, async (request, reply) => {
      try {
        const { url, checks } = await oidc.begin();
        return reply
          .header('set-cookie', await flowCookie(ctx.config, ctx.keys, checks, ctx.clock.now()))
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect(url.href, 303);
      } catch (error) {
        if (!(error instanceof OidcSignInError)) throw error;
        log.warn({ address: request.ip, reason: error.reason, problem: error.message }, 'console OIDC sign-in could not start');
        return refuse(request, reply, error.reason);
      }
    });

    app.get('/console/oidc/callback', { schema: { hide: true } }, async (request, reply) => {
      const checks = await flowChecks(request, ctx.config, ctx.keys, ctx.clock.now());
      if (!checks) {
        log.warn({ address: request.ip }, 'console OIDC answer refused: no valid sign-in flow cookie (started in another browser, expired, or forged)');
        return refuse(request, reply, 'invalid');
      }
      const url = request.raw.url ?? '';
      const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
      let claims: Claims;
      try {
        claims = await oidc.finish(query, checks);
      } catch (error) {
        if (!(error instanceof OidcSignInError)) throw error;
        log.warn({ address: request.ip, reason: error.reason, problem: error.message }, 'console OIDC sign-in refused');
        return refuse(request, reply, error.reason);
      }
      const verdict = judge(settings, claims);
      const subject = String(claims.sub);
      if (!verdict.operator) {
        log.warn({ subject, name: verdict.name, address: request.ip, why: verdict.why }, 'console OIDC sign-in refused: not an operator');
        return refuse(request, reply, verdict.why === 'not-listed' ? 'not-operator' : 'no-usable-name', verdict.name);
      }
      const signedIn = await ctx.operators.signInWithOidc(verdict.name);
      log.info({ operator: verdict.name, subject, via: verdict.via, address: request.ip }, 'operator signed in to the console with OIDC');
      const maxAge = Math.floor((signedIn.expiresAt.getTime() - ctx.clock.now().getTime()) / 1000);
      return reply
        .header('set-cookie', [sessionCookie(ctx.config, signedIn.token, maxAge), clearedFlowCookie(ctx.config)])
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .redirect('/console', 303);
    });
  };
}
