/**
 * The staff console (docs/console.md): sign-in, then the stacks list, a stack's page and the providers
 * and labs overview, chosen by the URL fragment (#/stacks, #/stacks/<id>, #/overview) so the browser's
 * back button and links work, in a frame too. The session is an HttpOnly cookie the page never sees.
 */
import './console-page.css';
import { call, whenSignedOut } from './console/api.ts';
import { startLiveCounts } from './console/live-counts.ts';
import { showOverview } from './console/overview-view.ts';
import { showSignIn } from './console/sign-in.ts';
import { showStack } from './console/stack-view.ts';
import { showStacks } from './console/stacks-view.ts';
import { elementLookup } from './element-lookup.ts';
import { t } from './i18n.ts';

const el = elementLookup('console page');

const main = el('main');
const nav = el('nav');
const who = el('who');
const signOut = el<HTMLButtonElement>('sign-out');
const liveOutput = el('live-counts');
let stopLive: (() => void) | null = null;
let operator: string | null = null;

let showingSignIn = false;

function signedOutView(): void {
  if (showingSignIn) return;
  showingSignIn = true;
  operator = null;
  stopLive?.();
  stopLive = null;
  nav.hidden = who.hidden = signOut.hidden = true;
  showSignIn(main, signedInView);
}

function signedInView(name: string): void {
  showingSignIn = false;
  operator = name;
  who.textContent = t('console.signedInAs', { name });
  nav.hidden = who.hidden = signOut.hidden = false;
  stopLive ??= startLiveCounts(liveOutput, signedOutView);
  void route();
}

async function route(): Promise<void> {
  if (!operator) return;
  const path = location.hash.replace(/^#/, '') || '/stacks';
  const section = path.startsWith('/overview') ? 'overview' : 'stacks';
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const stack = /^\/stacks\/(.+)$/.exec(path);
  if (stack) return showStack(main, decodeURIComponent(stack[1]));
  if (section === 'overview') return showOverview(main);
  return showStacks(main);
}

whenSignedOut(signedOutView);
window.addEventListener('hashchange', () => void route());
signOut.addEventListener('click', () => {
  void call('/sign-out', { method: 'POST' }).finally(signedOutView);
});

call<{ operator: string }>('/me')
  .then((me) => signedInView(me.operator))
  .catch(() => signedOutView());
