/**
 * Limits on what one learner, or anyone on the network, can make the server hold: stacks per learner
 * and launches per minute (counted in the store, under a per-learner lock, so simultaneous launches
 * cannot both take the last place), and the LTI login states anyone can create. Through the real HTTP
 * app and the real store, on PGlite and on PostgreSQL (where the requests really run at once); the
 * fake provider stands in for the cloud, since only the limits are under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { issueSession } from '../../src/http/session.ts';
import { MAX_TARGET_LINK_URI } from '../../src/lti/login-states.ts';
import { BACKENDS, postgresAvailable, type Backend } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';
import { MiniBrowser } from '../lti/emulator/mini-browser.ts';
import { startHarness } from '../lti/harness.ts';

const TOKEN = 'test-token-0123456789abcdef';
const LABS = ['demo', 'web', 'db', 'net', 'dns', 'mail', 'git', 'k8s'].map((id) => testLab({ id, title: `Lab ${id}` }));
const pgUp = await postgresAvailable();

/** Launches through the service API, as a course's own tooling acting for a learner would. */
function serviceLaunch(app: FastifyInstance, learner: string, lab: string, context = 'course') {
  return app.inject({ method: 'POST', url: '/api/v1/stacks', headers: { authorization: `Bearer ${TOKEN}` }, payload: { learner, context, lab } });
}

function assertErrorShape(answer: LightMyRequestResponse, status: number, code: string): { code: string; message: string; detail?: string } {
  assert.equal(answer.statusCode, status, answer.body);
  const body = answer.json();
  assert.equal(body.code, code);
  assert.equal(typeof body.message, 'string');
  assert.deepEqual(Object.keys(body).filter((k) => !['code', 'message', 'detail'].includes(k)), []);
  return body;
}

function statuses(answers: LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.statusCode] = (counts[answer.statusCode] ?? 0) + 1;
  return counts;
}

async function withApp(backend: Backend, overrides: Record<string, unknown>, run: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await testApp(overrides, { backend, labs: LABS });
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

const PLATFORM = {
  name: 'moodle',
  issuer: 'https://moodle.example.org',
  client_id: 'abc',
  deployment_ids: ['1'],
  auth_login_url: 'https://moodle.example.org/mod/lti/auth.php',
  token_url: 'https://moodle.example.org/mod/lti/token.php',
  jwks_url: 'https://moodle.example.org/mod/lti/certs.php',
};

function ltiLogin(app: FastifyInstance, target = 'https://stacklab.example.org/lti/launch') {
  const query = new URLSearchParams({ iss: PLATFORM.issuer, client_id: PLATFORM.client_id, login_hint: 'user-1', target_link_uri: target });
  return app.inject({ url: `/lti/login?${query}` });
}

async function loginStateRows(t: TestApp): Promise<number> {
  const [row] = await t.rt.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM lti_login_states');
  return row?.n ?? 0;
}

for (const backend of BACKENDS) {
  describe(`per-learner limits (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    test('launches of one learner at once into every lab: exactly max_stacks_per_learner pass, the rest get 409 naming their labs', () =>
      withApp(backend, { max_stacks_per_learner: 3, launches_per_minute: 0 }, async ({ app, rt }) => {
        const answers = await Promise.all(LABS.map((lab) => serviceLaunch(app, 'ann', lab.id)));
        assert.deepEqual(statuses(answers), { 200: 3, 409: LABS.length - 3 });
        const refused = assertErrorShape(answers.find((a) => a.statusCode === 409)!, 409, 'STACK_LIMIT_REACHED');
        assert.match(refused.message, /You already have 3 labs \(Lab \w+, Lab \w+, Lab \w+\)/);
        assert.match(refused.message, /ask your course team to delete one/);
        assert.equal(refused.detail, '3 of 3 stacks per learner in use (setting max_stacks_per_learner)');
        assert.equal((await rt.ctx.stacks.list({ learner: 'ann' })).length, 3, 'the store holds as many stacks as passed');
        // Per learner: another learner is not affected.
        assert.equal((await serviceLaunch(app, 'bob', 'demo')).statusCode, 200);
      }));

    test('launches of one learner at once: exactly launches_per_minute pass, the rest get 429 with Retry-After until the minute is over', () =>
      withApp(backend, { max_stacks_per_learner: 0, launches_per_minute: 4 }, async ({ app, rt }) => {
        const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => serviceLaunch(app, 'ann', 'demo', `course-${n}`)));
        assert.deepEqual(statuses(answers), { 200: 4, 429: 3 });
        const refused = answers.find((a) => a.statusCode === 429)!;
        const body = assertErrorShape(refused, 429, 'LAUNCH_RATE_LIMITED');
        assert.equal(refused.headers['retry-after'], '60');
        assert.match(body.message, /4 times in the last minute.*wait 60 seconds/);
        rt.clock.advance(45);
        const later = await serviceLaunch(app, 'ann', 'demo', 'course-8');
        assertErrorShape(later, 429, 'LAUNCH_RATE_LIMITED');
        assert.equal(later.headers['retry-after'], '15');
        rt.clock.advance(15);
        assert.equal((await serviceLaunch(app, 'ann', 'demo', 'course-8')).statusCode, 200, 'a minute after, launches pass again');
        assert.equal((await serviceLaunch(app, 'bob', 'demo')).statusCode, 200, 'another learner is not affected');
      }));

    test('coming back to an own stack is neither counted nor refused, even at both limits', () =>
      withApp(backend, { max_stacks_per_learner: 1, launches_per_minute: 1 }, async ({ app, rt }) => {
        const session = await issueSession(rt.ctx.keys, { learner: 'ann', context: 'course', roles: ['Learner'] }, 600);
        const me = (method: 'GET' | 'POST', url: string, payload?: object) => app.inject({ method, url, headers: { authorization: `Bearer ${session}` }, ...(payload ? { payload } : {}) });
        const first = await me('POST', '/api/v1/me/labs/demo/launch');
        assert.equal(first.statusCode, 200, first.body);
        const id = first.json().id;
        await settle(rt);
        // The lab page opened again and again, in several tabs at once: the same stack, never refused.
        const again = await Promise.all([1, 2, 3, 4, 5, 6].map(() => me('POST', '/api/v1/me/labs/demo/launch')));
        assert.deepEqual(statuses(again), { 200: 6 });
        assert.ok(again.every((a) => a.json().id === id));
        // Suspended and resumed: still the same stack, not a launch.
        await rt.ctx.stacks.requestSuspend(id, 'test');
        await settle(rt);
        assert.equal((await rt.ctx.stacks.get(id)).state, 'SUSPENDED');
        assert.equal((await me('POST', `/api/v1/me/stacks/${id}/resume`)).statusCode, 200);
        assert.equal((await me('POST', '/api/v1/me/labs/demo/launch')).statusCode, 200);
        await settle(rt);
        assert.equal((await rt.ctx.stacks.get(id)).state, 'READY');
        // A second lab would be a second stack: refused. A reset is a launch: this minute's one is used.
        assertErrorShape(await me('POST', '/api/v1/me/labs/web/launch'), 409, 'STACK_LIMIT_REACHED');
        const reset = await me('POST', `/api/v1/me/stacks/${id}/reset`, { confirm: 'RESET' });
        assertErrorShape(reset, 429, 'LAUNCH_RATE_LIMITED');
        assert.equal(reset.headers['retry-after'], '60');
        const [{ n }] = await rt.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM learner_launches WHERE learner = $1', ['ann']);
        assert.equal(n, 1, 'one launch recorded: the re-opens and the resume were not counted');
      }));

    test('a reset counts as a launch once; asking again while it runs does not; the stack keeps its place meanwhile', () =>
      withApp(backend, { max_stacks_per_learner: 1, launches_per_minute: 2 }, async ({ app, rt }) => {
        const id = (await serviceLaunch(app, 'ann', 'demo')).json().id;
        await settle(rt);
        const reset = () => app.inject({ method: 'POST', url: `/api/v1/stacks/${id}/reset`, headers: { authorization: `Bearer ${TOKEN}` }, payload: { confirm: 'RESET' } });
        const answers = await Promise.all([reset(), reset(), reset()]);
        assert.deepEqual(statuses(answers), { 200: 3 }, 'one reset, asked three times at once');
        assert.equal((await rt.ctx.stacks.get(id)).relaunch, true);
        // Being reset, the stack still holds the learner's one place.
        assertErrorShape(await serviceLaunch(app, 'ann', 'web'), 409, 'STACK_LIMIT_REACHED');
        await settle(rt);
        assert.equal((await rt.ctx.stacks.get(id)).state, 'READY');
        const [{ n }] = await rt.ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM learner_launches WHERE learner = $1', ['ann']);
        assert.equal(n, 2, 'the launch and one reset');
      }));

    test('a deleted stack frees its place; launching it again needs one', () =>
      withApp(backend, { max_stacks_per_learner: 1, launches_per_minute: 0 }, async ({ app, rt }) => {
        const id = (await serviceLaunch(app, 'ann', 'demo')).json().id;
        await settle(rt);
        assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/stacks/${id}`, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
        // Being deleted for good already frees the place.
        assert.equal((await serviceLaunch(app, 'ann', 'web')).statusCode, 200);
        await settle(rt);
        assert.equal((await rt.ctx.stacks.get(id)).state, 'DELETED');
        assertErrorShape(await serviceLaunch(app, 'ann', 'demo'), 409, 'STACK_LIMIT_REACHED');
        assert.equal((await rt.ctx.stacks.get(id)).state, 'DELETED', 'the refused relaunch left the stack as it was');
      }));

    test('0 means no limit', () =>
      withApp(backend, { max_stacks_per_learner: 0, launches_per_minute: 0 }, async ({ app }) => {
        const answers = await Promise.all(LABS.flatMap((lab) => [1, 2].map((n) => serviceLaunch(app, 'ann', lab.id, `course-${n}`))));
        assert.deepEqual(statuses(answers), { 200: LABS.length * 2 });
      }));
  });

  describe(`LTI login states are bounded (${backend})`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false }, () => {
    async function withLti(overrides: Record<string, unknown>, run: (t: TestApp) => Promise<void>): Promise<void> {
      await withApp(backend, overrides, async (t) => {
        await t.rt.ctx.lti.platforms.put(PLATFORM, 'api');
        await run(t);
      });
    }

    test('logins at once beyond max_lti_login_states: exactly the cap is stored, the rest get 503 with a message', () =>
      withLti({ max_lti_login_states: 5 }, async (t) => {
        const answers = await Promise.all(Array.from({ length: 12 }, () => ltiLogin(t.app)));
        assert.deepEqual(statuses(answers), { 302: 5, 503: 7 });
        const refused = answers.find((a) => a.statusCode === 503)!;
        assert.match(String(refused.headers['content-type']), /text\/html/);
        assert.match(refused.body, /Too many people are signing in to labs at this moment\. Wait a minute/);
        assert.equal(await loginStateRows(t), 5);
      }));

    test('when the table is full, expired states make room; the housekeeping job purges them too', () =>
      withLti({ max_lti_login_states: 3 }, async (t) => {
        for (let i = 0; i < 3; i++) assert.equal((await ltiLogin(t.app)).statusCode, 302);
        assert.equal((await ltiLogin(t.app)).statusCode, 503);
        t.rt.clock.advance(301);
        assert.equal((await ltiLogin(t.app)).statusCode, 302, 'the expired states were dropped for the new one');
        assert.equal(await loginStateRows(t), 1);
        t.rt.clock.advance(301);
        const swept = await t.rt.ctx.lti.housekeeping();
        assert.equal(swept.statesRemoved, 1);
        assert.equal(await loginStateRows(t), 0);
      }));

    test('a target_link_uri longer than the limit is refused with 400 and nothing is stored', () =>
      withLti({}, async (t) => {
        const long = `https://stacklab.example.org/lti/launch?x=${'a'.repeat(MAX_TARGET_LINK_URI)}`;
        const answer = await ltiLogin(t.app, long);
        assert.equal(answer.statusCode, 400);
        assert.match(answer.body, /This course link is too long/);
        assert.equal(await loginStateRows(t), 0);
        assert.equal((await ltiLogin(t.app, long.slice(0, MAX_TARGET_LINK_URI))).statusCode, 302, 'a link at the limit is taken');
      }));
  });
}

test('an LTI launch follows the same limits: past them, the LMS still opens the lab page, which gets the refusal to show', async () => {
  const h = await startHarness({ config: { max_stacks_per_learner: 1 } });
  try {
    const user = h.emulator.addUser('ann-lti', 'student');
    const open = async (lab: string) => {
      const browser = new MiniBrowser();
      const auth = await browser.get(h.emulator.loginInitiationUrl(user, h.emulator.addBlock({ courseKey: 'course-v1:Org+L1+2026', custom: { lab } })));
      const page = await browser.submit(auth);
      const session = /#session=(.+)$/.exec(page.url)?.[1];
      assert.ok(session, `no session in ${page.url}`);
      return { url: new URL(page.url), session };
    };
    const first = await open('linux-basics');
    assert.equal(first.url.pathname, '/lab/linux-basics');
    const second = await open('networking');
    assert.equal(second.url.pathname, '/lab/networking', 'the launch itself is accepted');
    const stacks = await h.runtime.ctx.stacks.list({});
    assert.deepEqual(stacks.map((s) => s.lab), ['linux-basics'], 'but no second stack was made');
    const launch = await fetch(`${h.tool}/api/v1/me/labs/networking/launch`, { method: 'POST', headers: { authorization: `Bearer ${second.session}` } });
    assert.equal(launch.status, 409);
    const body = (await launch.json()) as { code: string; message: string };
    assert.equal(body.code, 'STACK_LIMIT_REACHED');
    assert.match(body.message, /You already have 1 lab \(Linux basics\)/);
  } finally {
    await h.close();
  }
});
