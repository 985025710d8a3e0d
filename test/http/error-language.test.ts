/** API errors in the client's language: the catalogue sentence by Accept-Language, the code unchanged. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogue } from '../../src/infra/i18n/catalogues.ts';
import { testApp, type TestApp } from '../support/test-runtime.ts';

let server: TestApp;
before(async () => (server = await testApp()));
after(async () => server?.close());

test('the sentence follows Accept-Language; English without one or for a language not shipped', async () => {
  const ask = (acceptLanguage?: string) => server.app.inject({ method: 'GET', url: '/lab/no-such-lab/files/a.png', headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
  const english = await ask();
  assert.equal(english.statusCode, 404);
  assert.equal(english.json().code, 'LAB_NOT_FOUND');
  assert.equal(english.json().message, catalogue('en')['error.LAB_NOT_FOUND']);
  const german = await ask('de-CH, en;q=0.5');
  assert.equal(german.statusCode, 404);
  assert.equal(german.json().code, 'LAB_NOT_FOUND');
  assert.equal(german.json().message, catalogue('de')['error.LAB_NOT_FOUND']);
  assert.equal((await ask('zh-CN')).json().message, catalogue('zh-CN')['error.LAB_NOT_FOUND']);
  assert.equal((await ask('ja')).json().message, catalogue('en')['error.LAB_NOT_FOUND']);
});

test("a thrower's own sentence (not its code's) is said in the client's language too, and in a pseudo-locale asked for by name", async () => {
  const ask = (acceptLanguage?: string) => server.app.inject({ method: 'GET', url: '/api/v1/me/stacks/any/check', headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
  const english = (await ask()).json();
  assert.equal(english.code, 'UNAUTHORIZED');
  assert.equal(english.message, 'Your lab session is missing: open the lab again from your course.');
  assert.equal((await ask('fr-CA')).json().message, catalogue('fr')['error.UNAUTHORIZED.sessionMissing']);
  assert.equal((await ask('pt')).json().message, catalogue('pt-BR')['error.UNAUTHORIZED.sessionMissing']);
  assert.match((await ask('en-XA, en')).json().message, /^⟦Ýöüŕ ļáƀ šéššíöñ íš ɱíššíñĝ.*⟧$/);
  // A browser saying Arabic does not get the right-to-left pseudo-locale.
  assert.equal((await ask('ar')).json().message, english.message);
});
