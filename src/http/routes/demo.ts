/**
 * Demo mode (config demo=true; `npm start`): a course page at / listing the sample labs, with sign-in by
 * name only. It stands in for an LMS until one is connected and says so on every page. Off by default:
 * anyone who can reach the server could otherwise start labs.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { AppError } from '../../errors/api-errors.ts';
import { issueSession } from '../session.ts';
import { pageCsp } from '../frame-policy.ts';
import { escapeHtml } from './learner-page.ts';
import { translator } from '../../infra/i18n/catalogues.ts';
import { textDirection } from '../../infra/i18n/locale-info.ts';
import { messagesScript } from '../page-i18n.ts';
import { requestLocale } from '../request-locale.ts';
import { sentence } from '../../errors/sentence.ts';

export const DEMO_CONTEXT = 'demo-course';

/**
 * The demo learner for a name: a readable slug when the name has latin letters; otherwise (日本語,
 * Ελένη, 123) a hash of the name, so such names no longer all collapse into one learner.
 */
export function demoLearnerId(name: string): string {
  const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  if (/[a-z]/.test(slug)) return `demo:${slug}`;
  return `demo:u-${createHash('sha256').update(name.normalize('NFC').trim().toLowerCase()).digest('hex').slice(0, 16)}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** The peer's own address (never a forwarded header): demo sign-in starts labs for anyone who reaches it. */
export function fromLoopback(request: FastifyRequest): boolean {
  return LOOPBACK.test(request.socket.remoteAddress ?? '');
}

/** The messages web/demo-page.ts formats itself; the rest of the page is formatted here, so only these go into it. */
export const DEMO_SCRIPT_MESSAGES = ['demo.signedIn', 'demo.signInFailed'];

function coursePage(ctx: AppContext, locale: string): string {
  const t = translator(locale);
  const labs = ctx.labs
    .list()
    .filter((lab) => !lab.hidden)
    .map(
      (lab) => `<li class="lab-card">
  <h3 translate="no">${escapeHtml(lab.title)}</h3>
  <p translate="no">${escapeHtml(lab.description)}</p>
  <p class="muted">${escapeHtml(t('demo.kind', { protocol: lab.protocol }))}</p>
  <a class="open-lab button" data-lab="${escapeHtml(lab.id)}" href="/lab/${encodeURIComponent(lab.id)}">${escapeHtml(t('demo.openLab'))}</a>
</li>`,
    )
    .join('\n');
  // Without a runtime, labs that name no provider do not load: list them as waiting, not as missing.
  const waiting = ctx.labErrors
    .flatMap((e) => (e.waitingForProvider ? [e.waitingForProvider.title] : []))
    .map((title) => `<li class="lab-card waiting">
  <h3>${escapeHtml(title)}</h3>
  <p class="muted">${escapeHtml(t('demo.waiting'))}</p>
</li>`)
    .join('\n');
  const notices = ctx.notices.map((n) => `<p class="notice">${escapeHtml(n)}</p>`).join('\n');
  return `<!doctype html>
<html lang="${escapeHtml(locale)}" dir="${textDirection(locale)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t('demo.title'))}</title><link rel="stylesheet" href="/assets/demo-page.css">
${messagesScript(locale, DEMO_SCRIPT_MESSAGES)}</head>
<body class="demo-course">
<div class="demo-banner" role="note">${escapeHtml(t('demo.banner'))}</div>
<main>
<h1>${escapeHtml(t('demo.heading'))}</h1>
${notices}
<form id="sign-in" class="sign-in">
  <label>${escapeHtml(t('demo.name'))} <input id="name" name="name" required maxlength="60" autocomplete="name"></label>
  <button type="submit">${escapeHtml(t('demo.signIn'))}</button>
  <span id="signed-in" class="muted" hidden></span>
</form>
<h2>${escapeHtml(t('demo.labs'))}</h2>
<ul class="labs">
${labs || waiting ? `${labs}${labs && waiting ? '\n' : ''}${waiting}` : `<li>${escapeHtml(t('demo.noLabs'))}</li>`}
</ul>
</main>
<script type="module" src="/assets/demo-page.js"></script>
</body></html>
`;
}

export function demoRoutes(ctx: AppContext) {
  return async function demoPlugin(app: FastifyInstance): Promise<void> {
    if (!ctx.config.demo) return;
    app.get('/', { schema: { hide: true } }, async (request, reply) =>
      reply.header('content-security-policy', pageCsp("'self'")).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(coursePage(ctx, requestLocale(ctx.config, request))),
    );
    const body = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 200 } } } as const;
    app.post<{ Body: { name?: unknown } }>('/demo/sign-in', { schema: { hide: true, body } }, async (request) => {
      if (!ctx.config.demo_remote && !fromLoopback(request)) {
        throw new AppError('FORBIDDEN', 'demo sign-in from a non-loopback address (setting demo_remote)', {
          message: sentence('error.FORBIDDEN.demoRemote'),
        });
      }
      const name = typeof request.body?.name === 'string' ? request.body.name.trim() : '';
      if (!name || name.length > 60) throw AppError.badInput('name must be 1-60 characters', sentence('error.BAD_REQUEST.demoName'));
      const learner = demoLearnerId(name);
      const session = await issueSession(ctx.keys, { learner, context: DEMO_CONTEXT, roles: ['Learner'], displayName: name }, ctx.config.session_ttl);
      return { session, learner, displayName: name };
    });
  };
}
