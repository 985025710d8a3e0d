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

function coursePage(ctx: AppContext): string {
  const labs = ctx.labs
    .list()
    .filter((lab) => !lab.hidden)
    .map(
      (lab) => `<li class="lab-card">
  <h3>${escapeHtml(lab.title)}</h3>
  <p>${escapeHtml(lab.description)}</p>
  <p class="muted">${lab.protocol === 'ssh' ? 'Terminal' : lab.protocol === 'vnc' ? 'Desktop (VNC)' : 'Remote desktop (RDP)'}</p>
  <a class="open-lab button" data-lab="${escapeHtml(lab.id)}" href="/lab/${encodeURIComponent(lab.id)}">Open lab</a>
</li>`,
    )
    .join('\n');
  // Without a runtime, labs that name no provider do not load: list them as waiting, not as missing.
  const waiting = ctx.labErrors
    .flatMap((e) => (e.waitingForProvider ? [e.waitingForProvider.title] : []))
    .map((title) => `<li class="lab-card waiting">
  <h3>${escapeHtml(title)}</h3>
  <p class="muted">Waiting for a provider: this server has no runtime to start it on. See the notice above.</p>
</li>`)
    .join('\n');
  const notices = ctx.notices.map((n) => `<p class="notice">${escapeHtml(n)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo course · stacklab</title><link rel="stylesheet" href="/assets/demo-page.css"></head>
<body class="demo-course">
<div class="demo-banner" role="note">Demo mode: sign-in by name only, for trying stacklab out. Connect an LMS (LTI 1.3) for real courses.</div>
<main>
<h1>Demo course</h1>
${notices}
<form id="sign-in" class="sign-in">
  <label>Your name <input id="name" name="name" required maxlength="60" autocomplete="name"></label>
  <button type="submit">Sign in</button>
  <span id="signed-in" class="muted" hidden></span>
</form>
<h2>Labs</h2>
<ul class="labs">
${labs || waiting ? `${labs}${labs && waiting ? '\n' : ''}${waiting}` : '<li>No labs are loaded: put lab folders under the labs directory.</li>'}
</ul>
</main>
<script type="module" src="/assets/demo-page.js"></script>
</body></html>
`;
}

export function demoRoutes(ctx: AppContext) {
  return async function demoPlugin(app: FastifyInstance): Promise<void> {
    if (!ctx.config.demo) return;
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-security-policy', pageCsp("'self'")).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(coursePage(ctx)),
    );
    const body = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 200 } } } as const;
    app.post<{ Body: { name?: unknown } }>('/demo/sign-in', { schema: { hide: true, body } }, async (request) => {
      if (!ctx.config.demo_remote && !fromLoopback(request)) {
        throw new AppError('FORBIDDEN', 'demo sign-in from a non-loopback address (setting demo_remote)', {
          message: 'Demo sign-in works only on the server machine itself (http://localhost). The operator can allow it from elsewhere with STACKLAB_DEMO_REMOTE=true.',
        });
      }
      const name = typeof request.body?.name === 'string' ? request.body.name.trim() : '';
      if (!name || name.length > 60) throw AppError.badInput('name must be 1-60 characters', 'Type your name (up to 60 characters) to sign in.');
      const learner = demoLearnerId(name);
      const session = await issueSession(ctx.keys, { learner, context: DEMO_CONTEXT, roles: ['Learner'], displayName: name }, ctx.config.session_ttl);
      return { session, learner, displayName: name };
    });
  };
}
