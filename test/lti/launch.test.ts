/** LTI launches from the Open edX emulator into stacklab, accepted and refused, over real HTTP. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifySession } from '../../src/http/session.ts';
import { learnerId } from '../../src/lti/identity.ts';
import { MiniBrowser, type Page } from './emulator/mini-browser.ts';
import type { Tamper } from './emulator/open-edx-emulator.ts';
import { startHarness, type Harness } from './harness.ts';

const COURSE = 'course-v1:StackLabX+LINUX101+2026_T1';

describe('LTI launch from Open edX', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  /** Login initiation -> platform auth -> form_post to the tool; returns the tool's answer to the launch. */
  async function launch(user = h.emulator.addUser(`learner-${Math.random().toString(36).slice(2, 8)}`, 'student'), block = h.emulator.addBlock({ courseKey: COURSE, custom: { lab: 'linux-basics' } }), tamper?: Tamper) {
    const browser = new MiniBrowser();
    const auth = await browser.get(h.emulator.loginInitiationUrl(user, block));
    assert.equal(auth.status, 200, `platform auth page: ${auth.text.slice(0, 200)}`);
    if (tamper) h.emulator.tamperNext(tamper);
    // The tamper applies to the token minted for the *next* auth request, so ask again when tampering.
    const page = tamper ? await browser.get(h.emulator.loginInitiationUrl(user, block)) : auth;
    const answer = await browser.submit(page);
    return { user, block, answer, browser };
  }

  function sessionOf(page: Page): string {
    const hash = new URL(page.url).hash;
    const match = /^#session=(.+)$/.exec(hash);
    assert.ok(match, `no session in ${page.url}`);
    return match[1];
  }

  test('the platform\'s language for the learner reaches the lab page as ?lang= (docs/i18n.md)', async () => {
    const { answer } = await launch(h.emulator.addUser(`lang-${Math.random().toString(36).slice(2, 8)}`, 'student', { locale: 'pt_BR' }));
    const url = new URL(answer.url);
    assert.equal(url.pathname, '/lab/linux-basics');
    assert.equal(url.searchParams.get('lang'), 'pt_BR');
    const page = await fetch(`${h.tool}/lab/linux-basics?lang=pt_BR`, { headers: { 'accept-language': 'de' } });
    assert.match(await page.text(), /<html lang="pt-BR" dir="ltr">/);
  });

  test('a learner lands on the lab page with a session for (issuer, sub), the course and the lab', async () => {
    const { user, answer } = await launch();
    const url = new URL(answer.url);
    assert.equal(url.origin, h.tool);
    assert.equal(url.pathname, '/lab/linux-basics');
    const session = await verifySession(h.runtime.ctx.keys, sessionOf(answer));
    assert.equal(session.learner, learnerId(h.emulator.issuer, user.sub));
    assert.equal(session.context, COURSE);
    assert.equal(session.lab, 'linux-basics');
    assert.deepEqual(session.roles, ['Learner']);
    // What the tool asked the platform for in the OIDC authentication request.
    const auth = h.emulator.authRequests.at(-1)!;
    assert.equal(auth.refused, undefined);
    assert.equal(auth.params.scope, 'openid');
    assert.equal(auth.params.response_type, 'id_token');
    assert.equal(auth.params.response_mode, 'form_post');
    assert.equal(auth.params.prompt, 'none');
    assert.equal(auth.params.login_hint, user.sub);
    assert.ok(auth.params.lti_message_hint);
    // The stack exists with the course run parsed from the Open edX course key.
    const stacks = await h.runtime.ctx.stacks.list({ learner: session.learner });
    assert.equal(stacks.length, 1);
    assert.equal(stacks[0].run, '2026_T1');
    assert.equal(stacks[0].lab, 'linux-basics');
  });

  test('the same person launching twice keeps one learner id; another person gets another', async () => {
    const first = await launch();
    const again = await launch(first.user, first.block);
    const other = await launch();
    const a = await verifySession(h.runtime.ctx.keys, sessionOf(first.answer));
    const b = await verifySession(h.runtime.ctx.keys, sessionOf(again.answer));
    const c = await verifySession(h.runtime.ctx.keys, sessionOf(other.answer));
    assert.equal(a.learner, b.learner);
    assert.notEqual(a.learner, c.learner);
  });

  test('course staff get the instructor role', async () => {
    const { answer } = await launch(h.emulator.addUser('teacher', 'staff'));
    const session = await verifySession(h.runtime.ctx.keys, sessionOf(answer));
    assert.ok(session.roles.includes('Instructor'));
  });

  test('the launch leaves no cookie behind: it takes back the login’s state cookie (test/lti/browser-binding.test.ts)', async () => {
    const { browser, answer } = await launch();
    assert.equal(new URL(answer.url).pathname, '/lab/linux-basics');
    assert.equal(browser.cookies.get(new URL(h.tool).host)?.size ?? 0, 0);
  });

  const refusals: Array<[string, Tamper, string]> = [
    ['a forged signature', { forgery: 'foreign-key' }, 'signature'],
    ['an unknown kid that stays unknown after refresh', { forgery: 'unknown-kid' }, 'unknown_kid'],
    ['an expired token', { expiredBy: 7200 }, 'expired'],
    ['a wrong audience', { audience: 'some-other-tool' }, 'audience'],
    ['several audiences without us as azp', { audience: ['some-other-tool', 'stacklab-tool-client'], azp: 'some-other-tool' }, 'audience'],
    ['an unregistered deployment', { deploymentId: 'deployment-nobody-registered' }, 'deployment_unknown'],
    ['a nonce other than the one sent with the state (replayed from another launch)', { nonce: 'nonce-from-an-earlier-launch' }, 'nonce'],
    ['another LTI version', { version: '1.1.0' }, 'claims'],
  ];
  for (const [what, tamper, reason] of refusals) {
    test(`refused: ${what}`, async () => {
      const { answer } = await launch(undefined, undefined, tamper);
      assert.notEqual(answer.status, 302);
      assert.ok(answer.status >= 400, `status ${answer.status}`);
      assert.doesNotMatch(answer.url, /#session=/);
      assert.match(answer.text, new RegExp(`Reason: ${reason}\\b`));
    });
  }

  test('refused: a replayed launch (same state and id_token posted again)', async () => {
    const { answer } = await launch();
    assert.equal(new URL(answer.url).pathname, '/lab/linux-basics');
    const posted = h.emulator.posted.at(-1)!;
    const replay = await new MiniBrowser().post(posted.action, { state: posted.state, id_token: posted.id_token });
    assert.equal(replay.status, 401);
    assert.match(replay.text, /Reason: state_unknown/);
  });

  test('refused: a state that was never issued', async () => {
    const { answer } = await launch();
    assert.equal(new URL(answer.url).pathname, '/lab/linux-basics');
    const posted = h.emulator.posted.at(-1)!;
    const forged = await new MiniBrowser().post(`${h.tool}/lti/launch`, { state: 'never-issued-state', id_token: posted.id_token });
    assert.equal(forged.status, 401);
    assert.match(forged.text, /Reason: state_unknown/);
  });

  test('refused with 400, not a server error: a NUL in the signed sub, course id or name (docs/security.md)', async () => {
    const rand = () => Math.random().toString(36).slice(2, 8);
    const launches = [
      await launch(undefined, undefined, { sub: `a\u0000${rand()}` }),
      await launch(undefined, h.emulator.addBlock({ courseKey: `course-v1:X+NUL\u0000+${rand()}`, custom: { lab: 'linux-basics' } })),
      await launch(h.emulator.addUser(`nul-name-${rand()}`, 'student', { name: 'Ada\u0000Lovelace' })),
    ];
    for (const { answer } of launches) {
      assert.equal(answer.status, 400, answer.text.slice(0, 300));
      assert.match(answer.text, /Reason: claims\b/);
      assert.doesNotMatch(answer.url, /#session=/);
    }
  });

  test('refused: a login from an issuer nobody registered', async () => {
    const page = await new MiniBrowser().get(`${h.tool}/lti/login?iss=${encodeURIComponent('https://evil.example')}&login_hint=x&target_link_uri=${encodeURIComponent(`${h.tool}/lti/launch`)}`);
    assert.equal(page.status, 400);
    assert.match(page.text, /Reason: platform_unknown/);
  });

  test('a platform key rotation is followed: a new kid is fetched once and accepted', async () => {
    await launch(); // caches the current key set
    await h.emulator.rotateKey();
    const { answer } = await launch();
    assert.equal(new URL(answer.url).pathname, '/lab/linux-basics');
  });

  test('a link without the lab parameter says what to add', async () => {
    const { answer } = await launch(undefined, h.emulator.addBlock({ courseKey: COURSE }));
    assert.equal(answer.status, 404);
    assert.match(answer.text, /lab=&lt;lab id&gt;/);
  });

  test('login by POST works as by GET', async () => {
    const user = h.emulator.addUser('poster', 'student');
    const block = h.emulator.addBlock({ courseKey: COURSE, custom: { lab: 'networking' } });
    const url = new URL(h.emulator.loginInitiationUrl(user, block));
    const browser = new MiniBrowser();
    const auth = await browser.post(`${url.origin}${url.pathname}`, Object.fromEntries(url.searchParams));
    const answer = await browser.submit(auth);
    assert.equal(new URL(answer.url).pathname, '/lab/networking');
  });
});
