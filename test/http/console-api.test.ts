/**
 * The staff console's API on both store backends: who may use it (an operator's cookie only: no cookie,
 * a wrong password, the service token and a learner's session are all refused), the keyset-paged list,
 * bulk actions recorded in each stack's history under the operator's name, a stack's page without
 * secrets, the overview, sign-out, and throttled guessing; refusals in the language the console page asks for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueSession } from '../../src/http/session.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, type TestApp } from '../support/test-runtime.ts';
import { reason } from '../../src/infra/i18n/history-reasons.ts';

const pgUp = await postgresAvailable();
const PASSWORD = 'correct horse battery staple';

function cookieOf(setCookie: string | string[] | undefined): string {
  const line = ([] as string[]).concat(setCookie ?? [])[0] ?? '';
  return line.split(';')[0];
}

for (const backend of BACKENDS) {
  describe(`console API on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432 (set STACKLAB_TEST_DATABASE_URL)') : false }, () => {
    let t: TestApp;
    let cookie = '';
    const ids: string[] = [];
    before(async () => {
      t = await testApp({}, { backend });
      await t.rt.ctx.operators.add('ada', PASSWORD);
      for (const learner of ['alice', 'albert', 'bob']) ids.push((await t.rt.ctx.stacks.launch({ learner, context: `course-${learner === 'bob' ? 2 : 1}`, lab: 'demo', actor: 'test' })).id);
      await settle(t.rt);
    });
    after(async () => t?.close());

    const get = (url: string, headers: Record<string, string> = { cookie }) => t.app.inject({ url, headers });
    const post = (url: string, payload: unknown, headers: Record<string, string> = { cookie }) => t.app.inject({ method: 'POST', url, payload: payload as object, headers });

    test('refused without an operator session: no cookie, the service token, a learner session, a made-up cookie', async () => {
      const learner = await issueSession(t.rt.ctx.keys, { learner: 'alice', context: 'course-1', roles: ['Learner'] }, 600);
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer test-token-0123456789abcdef' }, { authorization: `Bearer ${learner}` }, { cookie: 'stacklab_console=forged' }]) {
        for (const url of ['/console/api/stacks', '/console/api/overview', `/console/api/stacks/${ids[0]}`, '/console/api/live']) {
          const answer = await get(url, headers);
          assert.equal(answer.statusCode, 401, `${url} with ${JSON.stringify(headers).slice(0, 40)}`);
          assert.equal(answer.json().code, 'UNAUTHORIZED');
        }
      }
      const bulk = await post('/console/api/stacks/bulk', { action: 'delete', ids, confirm: ids.length }, { authorization: 'Bearer test-token-0123456789abcdef' });
      assert.equal(bulk.statusCode, 401);
      assert.equal((await t.rt.ctx.stacks.get(ids[0])).state, 'READY');
      const german = await get('/console/api/stacks', { 'accept-language': 'de' });
      assert.equal(german.json().message, translator('de')('error.UNAUTHORIZED.consoleSession'));
    });

    test('a wrong password and an unknown name get the same refusal; the right one sets an HttpOnly cookie without the API token', async () => {
      const wrong = await post('/console/api/sign-in', { name: 'ada', password: 'not the password' }, {});
      const unknown = await post('/console/api/sign-in', { name: 'nobody', password: PASSWORD }, {});
      assert.equal(wrong.statusCode, 401);
      assert.deepEqual(wrong.json(), unknown.json());
      assert.equal(wrong.json().code, 'SIGN_IN_FAILED');
      assert.equal(wrong.headers['set-cookie'], undefined);
      const ok = await post('/console/api/sign-in', { name: 'ada', password: PASSWORD }, {});
      assert.equal(ok.statusCode, 200);
      const line = String(ok.headers['set-cookie']);
      assert.match(line, /^stacklab_console=[\w-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
      assert.ok(!line.includes('test-token') && !ok.body.includes('test-token'));
      cookie = cookieOf(ok.headers['set-cookie']);
      assert.equal((await get('/console/api/me')).json().operator, 'ada');
    });

    test('the list filters, sorts and pages by keyset without overlap', async () => {
      const all = (await get('/console/api/stacks?sort=learner&order=asc')).json();
      assert.deepEqual(all.stacks.map((s: { learner: string }) => s.learner), ['albert', 'alice', 'bob']);
      assert.equal(all.next, null);
      const first = (await get('/console/api/stacks?sort=learner&order=asc&limit=2')).json();
      assert.deepEqual(first.stacks.map((s: { learner: string }) => s.learner), ['albert', 'alice']);
      const second = (await get(`/console/api/stacks?sort=learner&order=asc&limit=2&after=${first.next}`)).json();
      assert.deepEqual(second.stacks.map((s: { learner: string }) => s.learner), ['bob']);
      assert.equal(second.next, null);
      const byDate = (await get('/console/api/stacks?limit=1')).json();
      const nextByDate = (await get(`/console/api/stacks?limit=1&after=${byDate.next}`)).json();
      assert.notEqual(byDate.stacks[0].id, nextByDate.stacks[0].id);
      assert.deepEqual((await get('/console/api/stacks?q=al&context=course-1')).json().stacks.length, 2);
      assert.deepEqual((await get('/console/api/stacks?q=a%25')).json().stacks.length, 0, 'a % in the search is a character, not a wildcard');
      assert.equal((await get('/console/api/stacks?provider=fake&state=READY,SUSPENDED&lab=demo')).json().stacks.length, 3);
      assert.equal((await get('/console/api/stacks?state=NAPPING')).statusCode, 400);
      const badCursor = await get('/console/api/stacks?after=garbage');
      assert.equal(badCursor.statusCode, 400);
      assert.match(badCursor.json().detail, /cursor/);
    });

    test('bulk suspend needs the number confirmed and lands in each history with the operator', async () => {
      const two = ids.slice(0, 2);
      const unconfirmed = await post('/console/api/stacks/bulk', { action: 'suspend', ids: two, confirm: 3 });
      assert.equal(unconfirmed.statusCode, 400);
      assert.match(unconfirmed.json().detail, /confirm says 3 stacks but ids lists 2/);
      const inGerman = await post('/console/api/stacks/bulk', { action: 'suspend', ids: two, confirm: 3 }, { cookie, 'accept-language': 'de' });
      assert.equal(inGerman.json().message, translator('de')('error.BAD_REQUEST.consoleConfirm', { confirm: 3, count: 2 }));
      assert.equal((await t.rt.ctx.stacks.get(two[0])).state, 'READY');
      const done = await post('/console/api/stacks/bulk', { action: 'suspend', ids: two, confirm: 2 });
      assert.equal(done.statusCode, 200);
      assert.deepEqual(done.json().results.map((r: { ok: boolean; state: string }) => [r.ok, r.state]), [[true, 'SUSPEND_PENDING'], [true, 'SUSPEND_PENDING']]);
      await settle(t.rt);
      const page = (await get(`/console/api/stacks/${two[0]}`)).json();
      assert.equal(page.stack.state, 'SUSPENDED');
      const suspend = page.events.find((e: { toState: string }) => e.toState === 'SUSPEND_PENDING');
      assert.equal(suspend.actor, 'operator:ada');
      const refused = (await post('/console/api/stacks/bulk', { action: 'reset', ids: ['nope'], confirm: 1 })).json();
      assert.deepEqual(refused.results, [{ id: 'nope', ok: false, code: 'STACK_NOT_FOUND', message: 'There is no stack with this id.' }]);
      const refusedInFrench = (await post('/console/api/stacks/bulk', { action: 'reset', ids: ['nope'], confirm: 1 }, { cookie, 'accept-language': 'fr' })).json();
      assert.equal(refusedInFrench.results[0].message, translator('fr')('error.STACK_NOT_FOUND'), "each stack's refusal in the console's language");
    });

    test("a stack's page shows outputs, history, checks and grades, and never a secret", async () => {
      const answer = await get(`/console/api/stacks/${ids[2]}`);
      assert.equal(answer.statusCode, 200);
      assert.ok(!answer.body.includes('FAKE KEY') && !answer.body.includes('fake-password'), 'a secret reached the console');
      const page = answer.json();
      assert.ok(Object.keys(page.stack.outputs).length > 0);
      assert.deepEqual(page.events.map((e: { toState: string }) => e.toState), ['LAUNCH_PENDING', 'CREATING', 'READY']);
      assert.deepEqual(page.checks, []);
      assert.deepEqual(page.grades, []);
    });

    test("a staff action shows in the stack's history with who did it, and moves nothing", async () => {
      const stackId = ids[2]!;
      await t.rt.ctx.stacks.recordStaffAction(stackId, reason('history.tookOver'), 'instructor:teacher');
      const page = (await get(`/console/api/stacks/${stackId}`)).json();
      assert.equal(page.stack.state, 'READY');
      assert.deepEqual(
        page.events.map((e: { kind: string; fromState: string; toState: string; actor: string; reason: string }) => [e.kind, `${e.fromState}->${e.toState}`, e.actor, e.reason]).at(-1),
        ['staff_action', 'READY->READY', 'instructor:teacher', "took over the learner's terminal"],
      );
      assert.ok(page.events.slice(0, -1).every((e: { kind: string }) => e.kind === 'transition'));
    });

    test('the overview counts stacks on providers and lists the labs', async () => {
      const overview = (await get('/console/api/overview')).json();
      assert.deepEqual(overview.providers.map((p: { name: string; used: number; left: null }) => [p.name, p.used, p.left]), [['fake', 3, null]]);
      assert.equal(overview.providers[0].health, 'ok');
      assert.deepEqual(overview.labs.loaded.map((l: { id: string }) => l.id), ['demo']);
      assert.deepEqual({ running: overview.counts.running, suspended: overview.counts.suspended }, { running: 1, suspended: 2 });
    });

    test('a request from another site is refused; sign-out ends the session', async () => {
      const crossSite = await post('/console/api/stacks/bulk', { action: 'delete', ids, confirm: 3 }, { cookie, origin: 'https://evil.example' });
      assert.equal(crossSite.statusCode, 403);
      const crossSiteInSpanish = await post('/console/api/stacks/bulk', { action: 'delete', ids, confirm: 3 }, { cookie, origin: 'https://evil.example', 'accept-language': 'es' });
      assert.equal(crossSiteInSpanish.json().message, translator('es')('error.FORBIDDEN.consoleOrigin'));
      const sameSite = await post('/console/api/stacks/bulk', { action: 'resume', ids: [ids[2]], confirm: 1 }, { cookie, origin: 'http://localhost:80' });
      assert.equal(sameSite.statusCode, 200, 'a request from the console\'s own page is taken');
      const out = await post('/console/api/sign-out', {});
      assert.match(String(out.headers['set-cookie']), /^stacklab_console=; .*Max-Age=0/);
      assert.equal((await get('/console/api/me')).statusCode, 401);
    });

    test('guessing is throttled after five failures from one address, even with the right password', async () => {
      // Two failures from this address came before (a wrong password, an unknown name).
      for (let i = 0; i < 3; i++) assert.equal((await post('/console/api/sign-in', { name: 'ada', password: `guess ${i} guess` }, {})).statusCode, 401);
      const throttled = await post('/console/api/sign-in', { name: 'ada', password: PASSWORD }, {});
      assert.equal(throttled.statusCode, 429);
      assert.equal(throttled.json().code, 'SIGN_IN_THROTTLED');
      assert.ok(Number(throttled.headers['retry-after']) > 0);
      assert.match(throttled.json().message, new RegExp(`wait ${throttled.headers['retry-after']} seconds?, then try again`), 'how long to wait, in words');
      const inChinese = await post('/console/api/sign-in', { name: 'ada', password: PASSWORD }, { 'accept-language': 'zh-CN' });
      assert.equal(inChinese.json().message, translator('zh-CN')('error.SIGN_IN_THROTTLED.wait', { seconds: Number(inChinese.headers['retry-after']) }));
    });
  });
}

describe('console cookie behind https', () => {
  test('is Secure and __Secure- prefixed when public_url is https', async () => {
    const t = await testApp({ public_url: 'https://labs.example.org' });
    try {
      await t.rt.ctx.operators.add('ada', PASSWORD);
      const ok = await t.app.inject({ method: 'POST', url: '/console/api/sign-in', payload: { name: 'ada', password: PASSWORD } });
      assert.match(String(ok.headers['set-cookie']), /^__Secure-stacklab_console=[\w-]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
      const page = await t.app.inject({ url: '/console' });
      assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'self';?/);
      assert.ok(!page.body.includes('test-token'));
    } finally {
      await t.close();
    }
  });
});
