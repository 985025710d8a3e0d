/** The demo course page: sign in by name, then each "Open lab" link carries the session in its fragment. */
import './demo-page.css';
import { t } from './i18n.ts';

const KEY = 'stacklab.demo';
const form = document.getElementById('sign-in') as HTMLFormElement;
const nameInput = document.getElementById('name') as HTMLInputElement;
const signedIn = document.getElementById('signed-in') as HTMLElement;
const links = [...document.querySelectorAll<HTMLAnchorElement>('a.open-lab')];

function apply(state: { session: string; displayName: string } | null): void {
  for (const link of links) {
    const base = `/lab/${encodeURIComponent(link.dataset.lab ?? '')}`;
    link.href = state ? `${base}#session=${encodeURIComponent(state.session)}` : base;
    link.setAttribute('aria-disabled', String(!state));
  }
  signedIn.hidden = !state;
  signedIn.textContent = state ? t('demo.signedIn', { name: state.displayName }) : '';
}

function stored(): { session: string; displayName: string } | null {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as { session: string; displayName: string } | null;
  } catch {
    return null;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const response = await fetch('/demo/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: nameInput.value }) });
  const body = (await response.json()) as { session?: string; displayName?: string; message?: string };
  if (!response.ok || !body.session) {
    signedIn.hidden = false;
    signedIn.textContent = body.message ?? t('demo.signInFailed');
    return;
  }
  const state = { session: body.session, displayName: body.displayName ?? nameInput.value };
  sessionStorage.setItem(KEY, JSON.stringify(state));
  apply(state);
});

const previous = stored();
if (previous) nameInput.value = previous.displayName;
apply(previous);
