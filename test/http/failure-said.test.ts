/**
 * A failed lab's failure reaches the lab page as a history catalogue key with its values (issue 22), so
 * the page says it in the learner's language; the provider's own words ride inside the values, as
 * they came. The English `failure` stays for clients that do not translate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { settle, testLab, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('the failure of a failed lab, for the page to translate', () => {
  let rt: TestRuntime;
  let app: Awaited<ReturnType<typeof buildApp>>;
  before(async () => {
    rt = await testRuntime({ providers: [new FakeProvider('fake', { fail: ['create'] })], labs: [testLab()] });
    app = await buildApp(rt.ctx);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  test('a failed launch carries its reason key and values beside the English', async () => {
    const session = await issueSession(rt.ctx.keys, { learner: 'ada', context: 'course', roles: ['Learner'] }, 3600);
    const headers = { authorization: `Bearer ${session}` };
    const launched = await app.inject({ method: 'POST', url: '/api/v1/me/labs/demo/launch', headers });
    assert.equal(launched.statusCode, 200, launched.body);
    assert.equal(launched.json<{ failureSaid: unknown }>().failureSaid, null, 'a launching lab has no failure');
    await settle(rt);
    const view = (await app.inject({ method: 'GET', url: `/api/v1/me/stacks/${launched.json<{ id: string }>().id}`, headers })).json<{
      phase: string;
      failure: string;
      failureSaid: { key: string; values: Record<string, string | number> } | null;
    }>();
    assert.equal(view.phase, 'failed');
    assert.ok(view.failureSaid, 'no key for the failure');
    assert.match(view.failureSaid.key, /^history\./);
    // The key says in English exactly what the stack's English failure says, and German says it in German.
    assert.equal(`${translator('en')(view.failureSaid.key, view.failureSaid.values)}.`, view.failure);
    const german = translator('de')(view.failureSaid.key, view.failureSaid.values);
    assert.notEqual(german, view.failure, 'the German page would say the failure in English');
  });
});
