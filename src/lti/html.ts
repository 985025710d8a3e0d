/** The few HTML pages the LTI endpoints answer with (they run inside the LMS iframe, not as JSON). */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem;color:#1d2330}
button{font:inherit;padding:.4rem 1rem;cursor:pointer}li{margin:.6rem 0}.muted{color:#5b6474}</style>
</head><body>${body}</body></html>`;
}

/** The one inline script of the LTI pages; their CSP allows it by its hash. */
export const AUTO_POST_SCRIPT = "document.getElementById('lti-post').submit()";

/** A form the browser posts at once (form_post back to the platform); the button is there without JavaScript. */
export function autoPostPage(action: string, fields: Record<string, string>, title = 'Returning to your course'): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return page(
    title,
    `<form id="lti-post" method="post" action="${escapeHtml(action)}">${inputs}<p>${escapeHtml(title)}…</p><noscript><button type="submit">Continue</button></noscript></form>
<script>${AUTO_POST_SCRIPT}</script>`,
  );
}

export function errorPage(message: string, reason: string): string {
  return page('stacklab: launch refused', `<h1>The lab could not be opened</h1><p>${escapeHtml(message)}</p><p class="muted">Reason: ${escapeHtml(reason)}</p>`);
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
export function pickerPage(action: string, request: string, labs: PickerLab[], multiple: boolean, waiting: string[] = []): string {
  const items = labs
    .map(
      (lab) => `<li><label><input type="${multiple ? 'checkbox' : 'radio'}" name="lab" value="${escapeHtml(lab.id)}"> <strong>${escapeHtml(lab.title)}</strong></label>
<span class="muted">(${escapeHtml(lab.id)})</span><br><span>${escapeHtml(lab.description)}</span></li>`,
    )
    .join('\n');
  const waitingList = waiting.length
    ? `<p id="labs-waiting">Waiting for a provider (this stacklab server has no runtime to start them on; ask its administrator):</p><ul>${waiting.map((title) => `<li>${escapeHtml(title)}</li>`).join('')}</ul>`
    : '';
  const body = labs.length
    ? `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="request" value="${escapeHtml(request)}"><ul>${items}</ul><button type="submit" id="add-lab">Add to course</button></form>${waitingList}`
    : waitingList || '<p>No labs are loaded on this stacklab server yet.</p>';
  return page('stacklab: choose a lab', `<h1>Choose a lab for this course</h1>${body}`);
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

export function storagePutPage(next: string, target: StorageTarget, value: string): string {
  const data = `data-frame="${escapeHtml(target.frame)}" data-origin="${escapeHtml(target.origin)}" data-key="${escapeHtml(target.key)}" data-value="${escapeHtml(value)}" data-next="${escapeHtml(next)}"`;
  return page(
    'Opening the lab',
    `<p id="lti-storage" ${data}>Opening the lab…</p><noscript><p><a href="${escapeHtml(next)}">Continue</a></p></noscript>
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

export function storageCheckPage(action: string, fields: Record<string, string>, target: StorageTarget): string {
  // Without script the button posts 'unavailable', which the setting then decides.
  const inputs = Object.entries({ ...fields, stacklab_storage: 'unavailable', stacklab_binding: '' })
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const data = `data-frame="${escapeHtml(target.frame)}" data-origin="${escapeHtml(target.origin)}" data-key="${escapeHtml(target.key)}"`;
  return page(
    'Opening the lab',
    `<form id="lti-post" method="post" action="${escapeHtml(action)}" ${data}>${inputs}<p>Opening the lab…</p><noscript><button type="submit">Continue</button></noscript></form>
<script>${STORAGE_GET_SCRIPT}</script>`,
  );
}
