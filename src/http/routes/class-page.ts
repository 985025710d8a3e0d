/**
 * The instructors' class view: GET /class serves the shell; web/class-page.ts does the rest with the
 * session it finds in the URL fragment (`#session=...`, from the lab page's "Class view" link after an
 * LTI launch with an instructor role). The data comes from /api/v1/class (src/http/routes/class-api.ts),
 * which checks the role and the course on every call; the shell itself holds nothing private. It speaks the
 * instructor's language as the lab page does (docs/i18n.md): the lab page's link carries its `?lang=`,
 * which came from the LTI launch; else Accept-Language, else default_locale.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { translator } from '../../infra/i18n/catalogues.ts';
import { textDirection } from '../../infra/i18n/locale-info.ts';
import { frameAncestors, pageCsp } from '../frame-policy.ts';
import { messagesScript, withMarkup } from '../page-i18n.ts';
import { requestLocale } from '../request-locale.ts';
import { escapeHtml } from './learner-page.ts';
import { STAFF_ACTION_REASONS } from '../../infra/i18n/history-reasons.ts';

/** The catalogue keys web/class-page.ts and its parts format in the browser (web/api-client.ts's errors too, the history dialog's staff actions). */
export const CLASS_SCRIPT_MESSAGES = ['class.', 'lab.network', 'lab.httpStatus', 'screen.terminalInput', 'screen.tooMuchOutput', 'screen.desktopInterrupted', 'screen.desktopGarbled', ...STAFF_ACTION_REASONS];

function shell(locale: string): string {
  const t = translator(locale);
  const name = (id: string) => `<span id="${id}" translate="no"></span>`;
  return `<!doctype html>
<html lang="${escapeHtml(locale)}" dir="${textDirection(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t('class.title'))}</title>
<link rel="stylesheet" href="/assets/class-page.css">
${messagesScript(locale, CLASS_SCRIPT_MESSAGES)}
</head>
<body>
<header class="class-bar">
  <h1>${escapeHtml(t('class.heading'))}</h1>
  <span id="class-context" class="muted" translate="no"></span>
  <span class="spacer"></span>
  <button id="btn-refresh" type="button">${escapeHtml(t('class.refresh'))}</button>
</header>
<main class="class-main">
  <p id="class-error" class="error" role="alert" hidden></p>
  <p id="class-notice" role="status"></p>
  <section aria-labelledby="roster-title">
    <h2 id="roster-title">${escapeHtml(t('class.learners'))}</h2>
    <div class="table-holder">
    <table id="roster" class="roster">
      <thead><tr>${['class.colLearner', 'class.colLab', 'class.colState', 'class.colActivity', 'class.colTimeUsed', 'class.colBestScore'].map((key) => `<th scope="col">${escapeHtml(t(key))}</th>`).join('')}<th scope="col"><span class="visually-hidden">${escapeHtml(t('class.colActions'))}</span></th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
    <p id="roster-empty" class="muted" hidden>${escapeHtml(t('class.empty'))}</p>
  </section>
  <section id="shadow-panel" class="panel" aria-labelledby="shadow-title" hidden>
    <div class="panel-bar">
      <h2 id="shadow-title">${withMarkup(t, 'class.watching', 'learner', name('shadow-learner'))}</h2>
      <span id="shadow-mode" class="badge" role="status" aria-live="polite">${escapeHtml(t('class.modeWatch'))}</span>
      <span id="shadow-status" class="muted" aria-live="polite"></span>
      <span class="spacer"></span>
      <button id="btn-takeover" type="button">${escapeHtml(t('class.takeOver'))}</button>
      <button id="btn-release" type="button" hidden>${escapeHtml(t('class.giveBack'))}</button>
      <button id="btn-shadow-close" type="button">${escapeHtml(t('class.stopWatching'))}</button>
    </div>
    <div id="shadow-terminal" class="terminal" translate="no" dir="ltr"></div>
    <div id="shadow-desktop" class="desktop-shadow" translate="no" dir="ltr" hidden></div>
  </section>
  <section id="recordings-panel" class="panel" aria-labelledby="recordings-title" hidden>
    <div class="panel-bar">
      <h2 id="recordings-title">${withMarkup(t, 'class.recordingsOf', 'learner', name('recordings-learner'))}</h2>
      <span class="spacer"></span>
      <button id="btn-recordings-close" type="button">${escapeHtml(t('class.close'))}</button>
    </div>
    <ul id="recordings-list" class="recordings"></ul>
    <p id="recordings-empty" class="muted" hidden>${escapeHtml(t('class.noRecordings'))}</p>
    <div id="player" hidden>
      <div class="panel-bar"><span id="player-status" class="muted" aria-live="polite"></span><span class="spacer"></span><button id="btn-player-stop" type="button">${escapeHtml(t('class.stop'))}</button></div>
      <div id="player-terminal" class="terminal" translate="no" dir="ltr"></div>
    </div>
  </section>
</main>
<dialog id="reset-dialog" class="reset-dialog">
  <form method="dialog">
    <h2>${withMarkup(t, 'class.resetTitle', 'learner', name('reset-learner'))}</h2>
    <p>${escapeHtml(t('class.resetBody'))}</p>
    <div class="dialog-buttons">
      <button value="cancel" type="submit">${escapeHtml(t('class.cancel'))}</button>
      <button id="reset-confirm" value="reset" type="submit" class="danger">${escapeHtml(t('class.resetConfirm'))}</button>
    </div>
  </form>
</dialog>
<script type="module" src="/assets/class-page.js"></script>
</body>
</html>
`;
}

export function classPage(ctx: AppContext) {
  return async function classPagePlugin(app: FastifyInstance): Promise<void> {
    app.get('/class', { schema: { hide: true } }, async (request, reply) => {
      reply.header('content-security-policy', pageCsp(await frameAncestors(ctx))).header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(shell(requestLocale(ctx.config, request)));
    });
  };
}
