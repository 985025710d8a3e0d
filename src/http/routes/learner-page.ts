/**
 * The lab page: GET /lab/:labId serves the shell; web/lab-page.ts does the rest with the session it finds
 * in the URL fragment (`#session=...`, put there by the LTI launch or the demo sign-in). The page may be
 * framed by any LMS; its CSP allows no inline script, so even a bad instructions file cannot run code.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { frameAncestors, pageCsp } from '../frame-policy.ts';
import { hasAsset } from '../static.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function labPageHtml(labId: string, title: string, demo: boolean): string {
  const progressCheck = hasAsset('progress-check.js') ? '\n<script type="module" src="/assets/progress-check.js"></script>' : '';
  const progressCss = hasAsset('progress-check.css') ? '\n<link rel="stylesheet" href="/assets/progress-check.css">' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · stacklab</title>
<link rel="stylesheet" href="/assets/lab-page.css">${progressCss}
</head>
<body data-lab="${escapeHtml(labId)}" data-demo="${demo}">
${demo ? '<div class="demo-banner" role="note">Demo mode: sign-in by name only, not for real courses. <a href="/">Back to the course page</a></div>' : ''}
<header class="lab-bar">
  <h1 id="lab-title">${escapeHtml(title)}</h1>
  <span id="state-badge" class="badge" data-phase="starting">Starting</span>
  <span id="elapsed" class="elapsed" aria-live="off"></span>
  <label id="server-picker" class="server-picker" hidden>Server <select id="server-select"></select></label>
  <span class="spacer"></span>
  <button id="btn-fullscreen" type="button" title="Use the whole screen">Full screen</button>
  <button id="btn-window" type="button" title="Open the lab in its own window">Open in new window</button>
  <button id="btn-reset" type="button" class="danger" title="Throw the lab away and start a fresh one">Reset</button>
</header>
<main id="layout" class="layout layout-above">
  <article id="instructions" class="instructions" hidden></article>
  <div id="workspace" class="workspace">
    <div id="terminal" class="terminal" hidden></div>
    <div id="desktop" class="desktop" hidden></div>
    <div id="overlay" class="overlay" role="status" aria-live="polite">
      <div class="card">
        <h2 id="overlay-title">Opening your lab…</h2>
        <p id="overlay-message">Checking your session.</p>
        <div class="progress" aria-hidden="true"><div class="progress-bar"></div></div>
        <p id="overlay-elapsed" class="muted"></p>
        <p id="overlay-error" class="error" hidden></p>
        <button id="overlay-action" type="button" hidden>Try again</button>
      </div>
    </div>
  </div>
</main>
<section id="progress-check" class="progress-check" aria-label="Progress check"></section>
<div id="idle-warning" class="idle-warning" role="alertdialog" aria-labelledby="idle-text" hidden>
  <p id="idle-text">No activity for a while: your lab will be suspended in <strong id="idle-countdown">–</strong>. Your work is kept.</p>
  <button id="btn-still-here" type="button">I'm still here</button>
</div>
<dialog id="reset-dialog" class="reset-dialog">
  <form method="dialog">
    <h2>Reset the lab?</h2>
    <p>This deletes your lab environment and everything in it, and starts a fresh one. Type <code>RESET</code> to confirm.</p>
    <input id="reset-input" autocomplete="off" spellcheck="false" aria-label="Type RESET to confirm">
    <div class="dialog-buttons">
      <button id="reset-cancel" value="cancel" type="submit">Cancel</button>
      <button id="reset-confirm" value="reset" type="submit" class="danger" disabled>Reset lab</button>
    </div>
  </form>
</dialog>
<script type="module" src="/assets/lab-page.js"></script>${progressCheck}
</body>
</html>
`;
}

export function learnerPage(ctx: AppContext) {
  return async function learnerPagePlugin(app: FastifyInstance): Promise<void> {
    app.get<{ Params: { labId: string } }>('/lab/:labId', { schema: { hide: true } }, async (request, reply) => {
      const lab = ctx.labs.get(request.params.labId);
      reply.header('content-security-policy', pageCsp(await frameAncestors(ctx))).header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      if (!lab) {
        return reply
          .status(404)
          .type('text/html; charset=utf-8')
          .send(`<!doctype html><meta charset="utf-8"><title>Lab not found</title><p>There is no lab called “${escapeHtml(request.params.labId)}”. Check the link in your course, or ask the course team.</p>`);
      }
      return reply.type('text/html; charset=utf-8').send(labPageHtml(lab.id, lab.title, ctx.config.demo));
    });
  };
}
