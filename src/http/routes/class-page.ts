/**
 * The instructors' class view: GET /class serves the shell; web/class-page.ts does the rest with the
 * session it finds in the URL fragment (`#session=...`, from the lab page's "Class view" link after an
 * LTI launch with an instructor role). The data comes from /api/v1/class (src/http/routes/class-api.ts),
 * which checks the role and the course on every call; the shell itself holds nothing private.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.ts';
import { pageMessages } from '../../infra/i18n/catalogues.ts';
import { frameAncestors, pageCsp } from '../frame-policy.ts';
import { requestLocale } from '../request-locale.ts';
import { escapeHtml, scriptJson } from './learner-page.ts';

/** The catalogue keys web/class-page.ts and its parts format in the browser (web/api-client.ts's errors too). */
const PAGE_SCRIPT_MESSAGES = ['class.', 'lab.network', 'lab.httpStatus'];

const shell = (locale: string) => `<!doctype html>
<html lang="${escapeHtml(locale)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Class view · stacklab</title>
<link rel="stylesheet" href="/assets/class-page.css">
<script type="application/json" id="i18n-messages">${scriptJson({ locale, messages: pageMessages(locale, PAGE_SCRIPT_MESSAGES) })}</script>
</head>
<body>
<header class="class-bar">
  <h1>Class view</h1>
  <span id="class-context" class="muted" translate="no"></span>
  <span class="spacer"></span>
  <button id="btn-refresh" type="button">Refresh</button>
</header>
<main class="class-main">
  <p id="class-error" class="error" role="alert" hidden></p>
  <p id="class-notice" role="status"></p>
  <section aria-labelledby="roster-title">
    <h2 id="roster-title">Learners</h2>
    <table id="roster" class="roster">
      <thead><tr><th scope="col">Learner</th><th scope="col">Lab</th><th scope="col">State</th><th scope="col">Last activity</th><th scope="col">Time used</th><th scope="col">Best score</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="roster-empty" class="muted" hidden>No learner has opened a lab in this course yet.</p>
  </section>
  <section id="shadow-panel" class="panel" aria-labelledby="shadow-title" hidden>
    <div class="panel-bar">
      <h2 id="shadow-title">Watching <span id="shadow-learner" translate="no"></span></h2>
      <span id="shadow-mode" class="badge" role="status" aria-live="polite">Watching (read-only)</span>
      <span id="shadow-status" class="muted" aria-live="polite"></span>
      <span class="spacer"></span>
      <button id="btn-takeover" type="button">Take over</button>
      <button id="btn-release" type="button" hidden>Give back</button>
      <button id="btn-shadow-close" type="button">Stop watching</button>
    </div>
    <div id="shadow-terminal" class="terminal" translate="no" dir="ltr"></div>
  </section>
  <section id="recordings-panel" class="panel" aria-labelledby="recordings-title" hidden>
    <div class="panel-bar">
      <h2 id="recordings-title">Recordings of <span id="recordings-learner" translate="no"></span></h2>
      <span class="spacer"></span>
      <button id="btn-recordings-close" type="button">Close</button>
    </div>
    <ul id="recordings-list" class="recordings"></ul>
    <p id="recordings-empty" class="muted" hidden>No terminal session of this lab was recorded.</p>
    <div id="player" hidden>
      <div class="panel-bar"><span id="player-status" class="muted" aria-live="polite"></span><span class="spacer"></span><button id="btn-player-stop" type="button">Stop</button></div>
      <div id="player-terminal" class="terminal" translate="no" dir="ltr"></div>
    </div>
  </section>
</main>
<dialog id="reset-dialog" class="reset-dialog">
  <form method="dialog">
    <h2>Reset <span id="reset-learner" translate="no"></span>'s lab?</h2>
    <p>The learner's environment is deleted and a fresh one is built; everything they did in it is lost. The reset is recorded in the lab's history with your name.</p>
    <div class="dialog-buttons">
      <button value="cancel" type="submit">Cancel</button>
      <button id="reset-confirm" value="reset" type="submit" class="danger">Reset the lab</button>
    </div>
  </form>
</dialog>
<script type="module" src="/assets/class-page.js"></script>
</body>
</html>
`;

export function classPage(ctx: AppContext) {
  return async function classPagePlugin(app: FastifyInstance): Promise<void> {
    app.get('/class', { schema: { hide: true } }, async (request, reply) => {
      reply.header('content-security-policy', pageCsp(await frameAncestors(ctx))).header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(shell(requestLocale(ctx.config, request)));
    });
  };
}
