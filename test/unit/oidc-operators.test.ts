/**
 * Who the console's OIDC sign-in admits (services/oidc-operators.ts): the settings a start refuses, the
 * allow-list (verified e-mails without regard to case, `sub:` subjects), the required claim as a value or
 * in a list, and the name shown and written in the history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { judge, oidcSettings } from '../../src/services/oidc-operators.ts';

const configWith = (overrides: Record<string, unknown>) => loadConfig({ env: {}, overrides: { port: 8080, ...overrides } }).config;
const BASE = { oidc_issuer: 'https://id.example.org/realms/staff', oidc_client_id: 'stacklab' };

test('off without an issuer; a half-done configuration stops the start with what is missing', () => {
  assert.equal(oidcSettings(configWith({})), null);
  assert.throws(() => oidcSettings(configWith({ oidc_client_id: 'stacklab' })), (e: unknown) => e instanceof ConfigError && /without oidc_issuer/.test(e.message));
  assert.throws(() => oidcSettings(configWith({ oidc_issuer: BASE.oidc_issuer, oidc_operators: 'a@example.org' })), /oidc_client_id/);
  // Nobody named: every account at the provider would be an operator.
  assert.throws(() => oidcSettings(configWith(BASE)), /oidc_operators or oidc_operator_claim/);
  assert.throws(() => oidcSettings(configWith({ ...BASE, oidc_operators: 'ada' })), /neither an e-mail address nor sub:/);
  assert.throws(() => configWith({ ...BASE, oidc_issuer: 'http://id.example.org' }), /https/);
  assert.throws(() => configWith({ ...BASE, oidc_operator_claim: 'groups' }), /<claim>=<value>/);
});

test('the redirect URI comes from public_url, openid is always asked for, and the button names the host by default', () => {
  const settings = oidcSettings(configWith({ ...BASE, oidc_operators: 'Ada@Example.org sub:42', oidc_scopes: 'profile email', public_url: 'https://labs.example.org/' }))!;
  assert.equal(settings.redirectUri, 'https://labs.example.org/console/oidc/callback');
  assert.equal(settings.scopes, 'openid profile email');
  assert.equal(settings.providerName, 'id.example.org');
  assert.deepEqual([...settings.emails], ['ada@example.org']);
  assert.deepEqual([...settings.subjects], ['42']);
  assert.equal(oidcSettings(configWith({ ...BASE, oidc_operator_claim: 'groups=ops' }))!.redirectUri, 'http://localhost:8080/console/oidc/callback');
});

test('a listed subject or verified e-mail, or the claim, admits; the name is preferred_username, else e-mail, else subject', () => {
  const settings = { emails: new Set(['ada@example.org']), subjects: new Set(['s-7']), claim: { name: 'groups', value: 'ops' } };
  assert.deepEqual(judge(settings, { sub: 's-1', email: 'ADA@example.org', email_verified: true, preferred_username: 'ada' }), { operator: true, name: 'ada', via: 'email' });
  assert.deepEqual(judge(settings, { sub: 's-7', preferred_username: 'has space', email: 'g@example.org' }), { operator: true, name: 'g@example.org', via: 'subject' });
  assert.deepEqual(judge(settings, { sub: 's-2', groups: ['dev', 'ops'] }), { operator: true, name: 's-2', via: 'claim' });
  assert.deepEqual(judge(settings, { sub: 's-3', groups: 'ops', preferred_username: 'linus' }), { operator: true, name: 'linus', via: 'claim' });
  assert.deepEqual(judge(settings, { sub: 's-4', email: 'ada@example.org', email_verified: false, preferred_username: 'eve' }), { operator: false, why: 'not-listed', name: 'eve' });
  assert.deepEqual(judge(settings, { sub: 's-5', groups: ['operations'], preferred_username: 'bob' }), { operator: false, why: 'not-listed', name: 'bob' });
  assert.deepEqual(judge(settings, { sub: 'has space', groups: ['ops'] }), { operator: false, why: 'no-usable-name', name: 'has space' });
});
