/**
 * Login CSRF / session fixation: a launch must come from the browser that started the login. The
 * attacker's case is always the same: the attacker starts a login in their own browser and signs in to
 * the platform as themselves, then makes the victim's browser post the resulting (state, id_token).
 * Over real HTTP with the Open edX emulator: the state cookie, the platform's postMessage storage (the
 * test plays the platform's storage frame; chromium-launch.test.ts runs the pages' own scripts), and the
 * fallback when neither comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stateCookie, stateCookieName } from '../../src/lti/browser-binding.ts';
import { MiniBrowser, firstForm, type Page } from './emulator/mini-browser.ts';
import { STORAGE_FRAME, type User } from './emulator/open-edx-emulator.ts';
import { API_TOKEN, startHarness, type Harness } from './harness.ts';

const COURSE = 'course-v1:StackLabX+SEC101+2026_T1';

/** The data attributes of the element with this id. */
function dataOf(page: Page, id: string): Record<string, string> {
  const tag = new RegExp(`<[a-z]+ id="${id}"([^>]*)>`).exec(page.text)?.[1];
  assert.ok(tag, `no #${id} on ${page.url}: ${page.text.slice(0, 300)}`);
  const decode = (v: string) => v.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string);
  return Object.fromEntries([...tag.matchAll(/data-([a-z]+)="([^"]*)"/g)].map((m) => [m[1], decode(m[2])]));
}

function labOpened(page: Page): boolean {
  return new URL(page.url).pathname === '/lab/linux-basics' && /#session=/.test(page.url);
}

describe('LTI login bound to the browser (preferred, the default)', () => {
  let h: Harness;
  let toolHost: string;
  before(async () => {
    h = await startHarness();
    toolHost = new URL(h.tool).host;
  });
  after(async () => {
    await h?.close();
  });

  const newLearner = () => h.emulator.addUser(`l-${Math.random().toString(36).slice(2, 8)}`, 'student');
  const newBlock = () => h.emulator.addBlock({ courseKey: COURSE, custom: { lab: 'linux-basics' } });
  /** The attacker's half: a login in the attacker's browser up to the platform's auto-posting form. */
  async function attackersForm(attacker: User = newLearner()): Promise<Page> {
    const page = await new MiniBrowser().get(h.emulator.loginInitiationUrl(attacker, newBlock()));
    assert.equal(page.status, 200);
    return page;
  }

  test('the login sets a state cookie for this state (HttpOnly, SameSite=None, Secure, Partitioned); the launch checks and clears it', async () => {
    const before = { ...h.runtime.ctx.lti.bindings };
    const browser = new MiniBrowser();
    const auth = await browser.get(h.emulator.loginInitiationUrl(newLearner(), newBlock()));
    const state = firstForm(auth.text, auth.url)!.fields.state;
    const [set] = browser.setCookies.filter((c) => c.host === toolHost);
    // The tool is on http://127.0.0.1: loopback, so Secure (browsers keep it there) but no __Host- prefix.
    assert.equal(set.line, stateCookie(state, set.line.split(';')[0].split('=')[1], { https: false, loopback: true }, 300));
    assert.match(set.line, /^stacklab-lti-[0-9a-f]{16}=[\w-]{43}; Path=\/; Max-Age=300; HttpOnly; SameSite=None; Secure; Partitioned$/);
    assert.equal(browser.cookies.get(toolHost)?.size, 1);
    const answer = await browser.submit(auth);
    assert.ok(labOpened(answer), answer.url);
    assert.match(browser.setCookies.at(-1)!.line, /Max-Age=0/);
    assert.equal(browser.cookies.get(toolHost)?.size ?? 0, 0, 'the launch leaves no cookie behind');
    assert.equal(h.runtime.ctx.lti.bindings.cookie, before.cookie + 1);
  });

  test('refused: a state cookie holding another value (planted by a sibling site)', async () => {
    const form = await attackersForm();
    const state = firstForm(form.text, form.url)!.fields.state;
    const victim = new MiniBrowser();
    victim.cookies.set(toolHost, new Map([[stateCookieName(state, { https: false, loopback: true }), 'x'.repeat(43)]]));
    const answer = await victim.submit(form);
    assert.equal(answer.status, 401);
    assert.match(answer.text, /Reason: browser_binding/);
    assert.match(answer.text, /did not start in this browser/);
  });

  test('what remains: without cookie and without platform storage, the attacker’s launch opens in the victim’s browser, and is counted (in /metrics too)', async () => {
    const before = h.runtime.ctx.lti.bindings.none;
    const answer = await new MiniBrowser().submit(await attackersForm());
    assert.ok(labOpened(answer), `preferred accepts an unproven launch: ${answer.url}`);
    assert.equal(h.runtime.ctx.lti.bindings.none, before + 1);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${API_TOKEN}` } });
    assert.match(metrics.body, new RegExp(`^stacklab_lti_launch_bindings_total\\{evidence="none"\\} ${before + 1}$`, 'm'));
  });

  test('https: the cookie is __Host- prefixed (no sibling subdomain can plant it); plain http off loopback drops Secure', () => {
    assert.match(stateCookie('s', 'v', { https: true, loopback: false }, 300), /^__Host-stacklab-lti-[0-9a-f]{16}=v; Path=\/; Max-Age=300; HttpOnly; SameSite=None; Secure; Partitioned$/);
    assert.match(stateCookie('s', 'v', { https: false, loopback: false }, 300), /^stacklab-lti-[0-9a-f]{16}=v; Path=\/; Max-Age=300; HttpOnly; SameSite=None$/);
    assert.notEqual(stateCookieName('one state', { https: true, loopback: false }), stateCookieName('another', { https: true, loopback: false }));
  });

  describe('a platform that offers postMessage storage (lti_storage_target), in a browser that keeps no cookie', () => {
    before(() => h.emulator.offerStorage());
    after(() => h.emulator.offerStorage(false));

    /** Login in a cookie-blocking browser: the tool's storage page, what it puts, and the platform's form after it. */
    async function loginWithStorage(user: User = newLearner()) {
      const browser = new MiniBrowser({ blockCookies: true });
      const put = await browser.get(h.emulator.loginInitiationUrl(user, newBlock()));
      assert.equal(put.status, 200, put.text.slice(0, 300));
      const data = dataOf(put, 'lti-storage');
      assert.match(put.text, /<script>/);
      return { browser, data, form: await browser.get(data.next) };
    }

    test('the login page puts the value into the platform storage; the launch asks for it back and opens the lab', async () => {
      const before = h.runtime.ctx.lti.bindings.storage;
      const { browser, data, form } = await loginWithStorage();
      assert.equal(data.frame, STORAGE_FRAME);
      assert.equal(data.origin, h.emulator.base, 'messages go to the platform origin only');
      const state = firstForm(form.text, form.url)!.fields.state;
      assert.equal(data.key, `stacklab-state-${state}`);
      assert.ok(browser.setCookies.some((c) => c.host === toolHost), 'the cookie is offered as well');
      // No cookie came back: the tool answers with the page that asks the platform storage.
      const check = await browser.submit(form);
      assert.equal(check.status, 200);
      assert.equal(dataOf(check, 'lti-post').key, data.key);
      // The platform storage (played here) holds the value the login page put.
      const answer = await browser.submit(check, { stacklab_storage: 'found', stacklab_binding: data.value });
      assert.ok(labOpened(answer), answer.url);
      assert.equal(h.runtime.ctx.lti.bindings.storage, before + 1);
    });

    test('refused: the attacker’s launch in the victim’s browser, whose platform storage never held that state', async () => {
      const { form } = await loginWithStorage();
      const victim = new MiniBrowser({ blockCookies: true });
      const check = await victim.submit(form);
      assert.equal(check.status, 200);
      const answer = await victim.submit(check, { stacklab_storage: 'missing' });
      assert.equal(answer.status, 401);
      assert.match(answer.text, /Reason: browser_binding/);
    });

    test('refused: a value from the storage that is not this state’s', async () => {
      const { browser, form } = await loginWithStorage();
      const check = await browser.submit(form);
      const answer = await browser.submit(check, { stacklab_storage: 'found', stacklab_binding: 'y'.repeat(43) });
      assert.equal(answer.status, 401);
      assert.match(answer.text, /Reason: browser_binding/);
    });

    test('storage that does not answer counts as no proof (accepted and counted under preferred)', async () => {
      const before = h.runtime.ctx.lti.bindings.none;
      const { browser, form } = await loginWithStorage();
      const answer = await browser.submit(await browser.submit(form)); // the page's own default: 'unavailable'
      assert.ok(labOpened(answer), answer.url);
      assert.equal(h.runtime.ctx.lti.bindings.none, before + 1);
    });
  });
});

describe('LTI login bound to the browser (lti.browser_binding: required)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ lti: { browser_binding: 'required' } });
  });
  after(async () => {
    await h?.close();
  });

  test('refused: the attacker’s launch posted from the victim’s browser (no cookie, no platform storage)', async () => {
    const attacker = h.emulator.addUser('attacker', 'student');
    const form = await new MiniBrowser().get(h.emulator.loginInitiationUrl(attacker, h.emulator.addBlock({ courseKey: COURSE, custom: { lab: 'linux-basics' } })));
    const answer = await new MiniBrowser().submit(form);
    assert.equal(answer.status, 401);
    assert.match(answer.text, /Reason: browser_binding/);
    assert.equal(h.runtime.ctx.lti.bindings.refused, 1);
  });

  test('the same login finished in its own browser opens the lab', async () => {
    const browser = new MiniBrowser();
    const user = h.emulator.addUser('learner', 'student');
    const answer = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(user, h.emulator.addBlock({ courseKey: COURSE, custom: { lab: 'linux-basics' } }))));
    assert.ok(labOpened(answer), answer.url);
  });
});
