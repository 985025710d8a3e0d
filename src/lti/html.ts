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

/** The deep-linking picker an instructor sees: one button per lab, each posting the lab and the signed request. */
export function pickerPage(action: string, request: string, labs: PickerLab[], multiple: boolean): string {
  const items = labs
    .map(
      (lab) => `<li><label><input type="${multiple ? 'checkbox' : 'radio'}" name="lab" value="${escapeHtml(lab.id)}"> <strong>${escapeHtml(lab.title)}</strong></label>
<span class="muted">(${escapeHtml(lab.id)})</span><br><span>${escapeHtml(lab.description)}</span></li>`,
    )
    .join('\n');
  const body = labs.length
    ? `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="request" value="${escapeHtml(request)}"><ul>${items}</ul><button type="submit" id="add-lab">Add to course</button></form>`
    : '<p>No labs are loaded on this stacklab server yet.</p>';
  return page('stacklab: choose a lab', `<h1>Choose a lab for this course</h1>${body}`);
}
