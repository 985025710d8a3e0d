/**
 * The sign-in form: name and password, posted to /console/api/sign-in; the answer sets the cookie. When
 * the deployment's OpenID provider is configured (the shell's data-oidc-provider), a "Sign in with ..."
 * link above it starts that sign-in: a plain navigation, since the browser must go to the provider's page.
 */
import { t, tNodes } from '../i18n.ts';
import { call, errorText } from './api.ts';
import { data, h, show } from './dom.ts';

export function showSignIn(main: HTMLElement, signedIn: (operator: string) => void): void {
  const error = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' });
  const name = h('input', { id: 'sign-in-name', name: 'username', autocomplete: 'username', required: true, maxlength: 64 });
  const password = h('input', { id: 'sign-in-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
  const submit = h('button', { type: 'submit' }, t('console.signIn'));
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h2', { id: 'sign-in-title' }, t('console.signInTitle')),
    ...withProvider(document.body.dataset.oidcProvider),
    h('p', { class: 'muted' }, ...tNodes('console.signInHelp', {}, { command: data('stacklab operator add <name>', 'code') })),
    h('label', { for: 'sign-in-name' }, t('console.operatorName')),
    name,
    h('label', { for: 'sign-in-password' }, t('console.password')),
    password,
    submit,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    call<{ operator: string }>('/sign-in', { method: 'POST', body: { name: name.value, password: password.value } })
      .then((answer) => signedIn(answer.operator))
      .catch((e: unknown) => {
        error.textContent = errorText(e);
        password.value = '';
        password.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  show(main, form);
  name.focus();
}

/** The link to the provider's sign-in, and a line that says the form below is the other way in. */
function withProvider(provider: string | undefined): HTMLElement[] {
  if (!provider) return [];
  return [
    h('a', { id: 'sign-in-oidc', class: 'sign-in-oidc', href: '/console/oidc/start' }, ...tNodes('console.signInWith', {}, { provider: data(provider) })),
    h('p', { class: 'muted' }, t('console.signInOrPassword')),
  ];
}
