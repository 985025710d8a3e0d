/**
 * The class view says why the shadow socket closed by its close code, in the page's language, never by
 * the gateway's close reason (English words for its log).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE } from '../../src/gateway/socket-messages.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { shadowClosedKey } from '../../web/shadow-close.ts';

test("the shadow socket's close is said by its code: lost, refused, or closed", () => {
  assert.equal(shadowClosedKey(CLOSE.error), 'class.shadowLost');
  assert.equal(shadowClosedKey(CLOSE.unauthorized), 'class.shadowRefused');
  assert.equal(shadowClosedKey(CLOSE.forbidden), 'class.shadowRefused');
  assert.equal(shadowClosedKey(CLOSE.normal), 'class.shadowClosed');
  assert.equal(shadowClosedKey(1006), 'class.shadowClosed');
  const german = translator('de');
  for (const code of [CLOSE.error, CLOSE.unauthorized, CLOSE.normal]) assert.notEqual(german(shadowClosedKey(code)), translator('en')(shadowClosedKey(code)));
});
