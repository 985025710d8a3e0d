/**
 * The few HTML pages the LTI endpoints answer with (they run inside the LMS iframe, not as JSON), in the
 * language the http layer chose (docs/i18n.md). Lab titles and descriptions are the authors' own words.
 */
import type { Sentence } from '../errors/sentence.ts';
import type { Translate } from '../infra/i18n/formatter.ts';
import { textDirection } from '../infra/i18n/locale-info.ts';

export interface PageLanguage {
  locale: string;
  t: Translate;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(lang: PageLanguage, title: string, body: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang.locale)}" dir="${textDirection(lang.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem;color:#1d2330}
button{font:inherit;padding:.4rem 1rem;cursor:pointer}li{margin:.6rem 0}.muted{color:#5b6474}</style>
</head><body>${body}</body></html>`;
}

/** The one inline script of the LTI pages; their CSP allows it by its hash. */
export const AUTO_POST_SCRIPT = "document.getElementById('lti-post').submit()";

/** A form the browser posts at once (form_post back to the platform); the button is there without JavaScript. */
export function autoPostPage(lang: PageLanguage, action: string, fields: Record<string, string>, titleKey: 'lti.returning' | 'lti.addingLab' = 'lti.returning'): string {
  const title = lang.t(titleKey);
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return page(
    lang,
    title,
    `<form id="lti-post" method="post" action="${escapeHtml(action)}">${inputs}<p>${escapeHtml(lang.t('lti.busy', { what: title }))}</p><noscript><button type="submit">${escapeHtml(lang.t('lti.continue'))}</button></noscript></form>
<script>${AUTO_POST_SCRIPT}</script>`,
  );
}

/** `said` is the LtiError's sentence (`lti.refusal.*`), in the page's language; `reason` its stable code. */
export function errorPage(lang: PageLanguage, said: Sentence, reason: string): string {
  const { t } = lang;
  return page(lang, t('lti.refusedTitle'), `<h1>${escapeHtml(t('lti.refusedHeading'))}</h1><p id="refusal">${escapeHtml(t(said.key, said.values))}</p><p class="muted">${escapeHtml(t('lti.reason', { reason }))}</p>`);
}

export interface PickerLab {
  id: string;
  title: string;
  description: string;
}

/**
 * The deep-linking picker an instructor sees: one button per lab, each posting the lab and the signed
 * request. `waiting`: titles of labs that did not load only because no provider can run them (a server
 * without a runtime), listed so the instructor knows they exist and whom to ask.
 */
export function pickerPage(lang: PageLanguage, action: string, request: string, labs: PickerLab[], multiple: boolean, waiting: string[] = []): string {
  const { t } = lang;
  const items = labs
    .map(
      // The lab's id, title and description are its author's words: marked so, as on the lab page.
      (lab) => `<li><label><input type="${multiple ? 'checkbox' : 'radio'}" name="lab" value="${escapeHtml(lab.id)}"> <strong translate="no">${escapeHtml(lab.title)}</strong></label>
<span class="muted" translate="no">(${escapeHtml(lab.id)})</span><br><span translate="no">${escapeHtml(lab.description)}</span></li>`,
    )
    .join('\n');
  const waitingList = waiting.length
    ? `<p id="labs-waiting">${escapeHtml(t('lti.labsWaiting'))}</p><ul>${waiting.map((title) => `<li translate="no">${escapeHtml(title)}</li>`).join('')}</ul>`
    : '';
  const body = labs.length
    ? `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="request" value="${escapeHtml(request)}"><ul>${items}</ul><button type="submit" id="add-lab">${escapeHtml(t('lti.addToCourse'))}</button></form>${waitingList}`
    : waitingList || `<p>${escapeHtml(t('lti.noLabs'))}</p>`;
  return page(lang, t('lti.pickerTitle'), `<h1>${escapeHtml(t('lti.pickerHeading'))}</h1>${body}`);
}

/**
 * The login page when the platform offers postMessage storage (lti_storage_target): puts the browser
 * binding value into the platform's storage frame with lti.put_data, then goes on to the platform's
 * authorization URL (after the answer, or three seconds without one). Its parameters are data attributes,
 * so the script is constant and the CSP names it by its hash.
 */
export const STORAGE_PUT_SCRIPT = `(function () {
  var d = document.getElementById('lti-storage').dataset;
  var host = window.parent !== window ? window.parent : window.opener;
  var target;
  try { target = d.frame === '_parent' ? host : host && host.frames[d.frame]; } catch (e) { target = undefined; }
  var id = 'stacklab-' + Math.random().toString(36).slice(2);
  var gone = false;
  function go() { if (!gone) { gone = true; window.location.replace(d.next); } }
  window.addEventListener('message', function (event) {
    var m = event.data;
    if (event.origin === d.origin && m && m.subject === 'lti.put_data.response' && m.message_id === id) go();
  });
  // Asked again every 200 ms: a storage frame still loading drops what it is sent.
  function ask() { if (!gone && target) { target.postMessage({ subject: 'lti.put_data', message_id: id, key: d.key, value: d.value }, d.origin); setTimeout(ask, 200); } }
  ask();
  setTimeout(go, target ? 3000 : 0);
})();`;

export interface StorageTarget {
  /** The frame name from lti_storage_target (`_parent` for the opener or parent window itself). */
  frame: string;
  /** The platform's origin (its authorization URL's): messages go only there and are read only from there. */
  origin: string;
  key: string;
}

export function storagePutPage(lang: PageLanguage, next: string, target: StorageTarget, value: string): string {
  const data = `data-frame="${escapeHtml(target.frame)}" data-origin="${escapeHtml(target.origin)}" data-key="${escapeHtml(target.key)}" data-value="${escapeHtml(value)}" data-next="${escapeHtml(next)}"`;
  return page(
    lang,
    lang.t('lti.opening'),
    `<p id="lti-storage" ${data}>${escapeHtml(lang.t('lti.busy', { what: lang.t('lti.opening') }))}</p><noscript><p><a href="${escapeHtml(next)}">${escapeHtml(lang.t('lti.continue'))}</a></p></noscript>
<script>${STORAGE_PUT_SCRIPT}</script>`,
  );
}

/**
 * The launch page when no state cookie came back and the platform offers postMessage storage: asks the
 * platform's storage frame for the binding value (lti.get_data) and posts the launch again with what it
 * found, 'missing' when the platform answered without it, or 'unavailable' after three silent seconds.
 */
export const STORAGE_GET_SCRIPT = `(function () {
  var form = document.getElementById('lti-post');
  var d = form.dataset;
  var host = window.parent !== window ? window.parent : window.opener;
  var target;
  try { target = d.frame === '_parent' ? host : host && host.frames[d.frame]; } catch (e) { target = undefined; }
  var id = 'stacklab-' + Math.random().toString(36).slice(2);
  var sent = false;
  function send(result, value) {
    if (sent) return;
    sent = true;
    form.elements.stacklab_storage.value = result;
    form.elements.stacklab_binding.value = value || '';
    form.submit();
  }
  window.addEventListener('message', function (event) {
    var m = event.data;
    if (event.origin !== d.origin || !m || m.subject !== 'lti.get_data.response' || m.message_id !== id) return;
    if (m.error || typeof m.value !== 'string') send('missing');
    else send('found', m.value);
  });
  function ask() { if (!sent && target) { target.postMessage({ subject: 'lti.get_data', message_id: id, key: d.key }, d.origin); setTimeout(ask, 200); } }
  ask();
  setTimeout(function () { send('unavailable'); }, target ? 3000 : 0);
})();`;

export function storageCheckPage(lang: PageLanguage, action: string, fields: Record<string, string>, target: StorageTarget): string {
  // Without script the button posts 'unavailable', which the setting then decides.
  const inputs = Object.entries({ ...fields, stacklab_storage: 'unavailable', stacklab_binding: '' })
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const data = `data-frame="${escapeHtml(target.frame)}" data-origin="${escapeHtml(target.origin)}" data-key="${escapeHtml(target.key)}"`;
  return page(
    lang,
    lang.t('lti.opening'),
    `<form id="lti-post" method="post" action="${escapeHtml(action)}" ${data}>${inputs}<p>${escapeHtml(lang.t('lti.busy', { what: lang.t('lti.opening') }))}</p><noscript><button type="submit">${escapeHtml(lang.t('lti.continue'))}</button></noscript></form>
<script>${STORAGE_GET_SCRIPT}</script>`,
  );
}
