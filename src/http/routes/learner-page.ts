/**
 * The lab page: GET /lab/:labId serves the shell; web/lab-page.ts does the rest with the session it finds
 * in the URL fragment (`#session=...`, put there by the LTI launch or the demo sign-in). The page may be
 * framed by any LMS; its CSP allows no inline script, so even a bad instructions file cannot run code.
 * It speaks the learner's language (docs/i18n.md): the shell is formatted here, and the messages the
 * script needs travel in a JSON block (data, not script, so the CSP allows it).
 */
import type { FastifyInstance } from 'fastify';
import { translator } from '../../infra/i18n/catalogues.ts';
import { textDirection } from '../../infra/i18n/locale-info.ts';
import type { AppContext } from '../../app/context.ts';
import { frameAncestors, pageCsp } from '../frame-policy.ts';
import { messagesScript, withMarkup } from '../page-i18n.ts';
import { requestLocale } from '../request-locale.ts';
import { hasAsset } from '../static.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * The catalogue keys (or prefixes) web/lab-page.ts formats in the browser; the rest of the shell is
 * formatted here. test/unit/page-messages.test.ts checks the list against the page's scripts.
 */
export const PAGE_SCRIPT_MESSAGES = ['page.title', 'page.reset', 'badge.', 'title.', 'state.', 'todo.', 'lab.', 'screen.', 'check.', 'history.'];

function labPageHtml(labId: string, title: string, demo: boolean, locale: string): string {
  const t = translator(locale);
  const progressCheck = hasAsset('progress-check.js') ? '\n<script type="module" src="/assets/progress-check.js"></script>' : '';
  const progressCss = hasAsset('progress-check.css') ? '\n<link rel="stylesheet" href="/assets/progress-check.css">' : '';
  return `<!doctype html>
<html lang="${escapeHtml(locale)}" dir="${textDirection(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t('page.title', { lab: title }))}</title>
<link rel="stylesheet" href="/assets/lab-page.css">${progressCss}
${messagesScript(locale, PAGE_SCRIPT_MESSAGES)}
</head>
<body data-lab="${escapeHtml(labId)}" data-demo="${demo}">
${demo ? `<div class="demo-banner" role="note">${escapeHtml(t('page.demoBanner'))} <a href="/">${escapeHtml(t('page.demoBack'))}</a></div>` : ''}
<header class="lab-bar">
  <h1 id="lab-title" translate="no">${escapeHtml(title)}</h1>
  <span id="state-badge" class="badge" data-phase="starting">${escapeHtml(t('badge.starting'))}</span>
  <span id="elapsed" class="elapsed" aria-live="off"></span>
  <span id="usage-left" class="usage-left" aria-live="off" hidden></span>
  <label id="server-picker" class="server-picker" hidden>${escapeHtml(t('page.server'))} <select id="server-select" translate="no"></select></label>
  <span class="spacer"></span>
  <button id="btn-fullscreen" type="button" title="${escapeHtml(t('page.fullscreenHint'))}">${escapeHtml(t('page.fullscreen'))}</button>
  <button id="btn-window" type="button" title="${escapeHtml(t('page.newWindowHint'))}">${escapeHtml(t('page.newWindow'))}</button>
  <a id="btn-class" class="button" href="/class" target="_blank" rel="noopener" hidden>${escapeHtml(t('page.classView'))}</a>
  <button id="btn-reset" type="button" class="danger" title="${escapeHtml(t('page.resetHint'))}">${escapeHtml(t('page.reset'))}</button>
</header>
<main id="layout" class="layout layout-above">
  <article id="instructions" class="instructions" translate="no" dir="auto" hidden></article>
  <div id="workspace" class="workspace">
    <p id="staff-notice" class="staff-notice" role="status" aria-live="polite" hidden><span id="recording-notice" hidden></span> <strong id="watch-notice" hidden></strong></p>
    <div id="terminal" class="terminal" translate="no" dir="ltr" hidden></div>
    <div id="desktop" class="desktop" translate="no" dir="ltr" hidden></div>
    <div id="overlay" class="overlay" role="status" aria-live="polite">
      <div class="card">
        <h2 id="overlay-title">${escapeHtml(t('lab.opening'))}</h2>
        <p id="overlay-message">${escapeHtml(t('lab.checkingSession'))}</p>
        <div class="progress" aria-hidden="true"><div class="progress-bar"></div></div>
        <p id="overlay-elapsed" class="muted"></p>
        <p id="overlay-error" class="error" hidden></p>
        <button id="overlay-action" type="button" hidden>${escapeHtml(t('lab.tryAgain'))}</button>
      </div>
    </div>
  </div>
</main>
<section id="progress-check" class="progress-check" aria-label="${escapeHtml(t('page.progressCheck'))}"></section>
<div id="idle-warning" class="idle-warning" role="alertdialog" aria-labelledby="idle-text" hidden>
  <p id="idle-text">${withMarkup(t, 'page.idleWarning', 'countdown', '<strong id="idle-countdown">–</strong>')}</p>
  <button id="btn-still-here" type="button">${escapeHtml(t('page.stillHere'))}</button>
</div>
<dialog id="reset-dialog" class="reset-dialog">
  <form method="dialog">
    <h2>${escapeHtml(t('page.resetTitle'))}</h2>
    <p>${withMarkup(t, 'page.resetBody', 'word', '<code translate="no">RESET</code>')}</p>
    <input id="reset-input" autocomplete="off" spellcheck="false" aria-label="${escapeHtml(t('page.resetInput', { word: 'RESET' }))}">
    <div class="dialog-buttons">
      <button id="reset-cancel" value="cancel" type="submit">${escapeHtml(t('page.resetCancel'))}</button>
      <button id="reset-confirm" value="reset" type="submit" class="danger" disabled>${escapeHtml(t('page.resetConfirm'))}</button>
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
      const locale = requestLocale(ctx.config, request);
      const t = translator(locale);
      reply.header('content-security-policy', pageCsp(await frameAncestors(ctx))).header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      if (!lab) {
        return reply
          .status(404)
          .type('text/html; charset=utf-8')
          .send(`<!doctype html><html lang="${escapeHtml(locale)}" dir="${textDirection(locale)}"><meta charset="utf-8"><title>${escapeHtml(t('page.notFoundTitle'))}</title><p>${escapeHtml(t('page.notFound', { lab: request.params.labId }))}</p>`);
      }
      return reply.type('text/html; charset=utf-8').send(labPageHtml(lab.id, lab.title, ctx.config.demo, locale));
    });
  };
}
