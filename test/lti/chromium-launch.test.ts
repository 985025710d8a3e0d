/**
 * A learner opens the course unit in real Chromium: the Open edX emulator's page (on `localhost`)
 * embeds the tool (on `127.0.0.1`, another site) in an iframe, and the whole OIDC login + launch runs
 * inside that iframe until the stacklab learner page shows, signed in for the right lab and learner.
 * The login is bound to the browser by the state cookie, or, when the cookie is dropped, by the
 * platform's postMessage storage: the second test runs the tool's storage scripts for real.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Frame } from 'playwright-core';
import { verifySession } from '../../src/http/session.ts';
import { learnerId } from '../../src/lti/identity.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { startHarness, type Harness } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';
// LocalNetworkAccessChecks off: a page the test answers itself (route.fulfill) has no address, so
// Chromium would count it public and refuse its navigation to the emulator on localhost.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-features=LocalNetworkAccessChecks'];
const COURSE = 'course-v1:StackLabX+LINUX101+2026_T1';

describe('LTI launch in Chromium', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let h: Harness;
  let browser: Browser;
  before(async () => {
    h = await startHarness();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  test('from the course page to the learner page for the right lab and learner, inside the iframe', async () => {
    const user = h.emulator.addUser('grace', 'student', { name: 'Grace Hopper' });
    const block = h.emulator.addBlock({ courseKey: COURSE, title: 'Lab 1: Linux basics', custom: { lab: 'linux-basics' } });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const visited: string[] = [];
      page.on('framenavigated', (frame) => visited.push(frame.url()));
      await page.goto(h.emulator.coursewareUrl(user, block));
      const iframe = await page.waitForSelector('#lti-frame');
      const frame = (await iframe.contentFrame()) as Frame;
      await frame.waitForURL((url) => url.origin === h.tool && url.pathname === '/lab/linux-basics', { timeout: 20_000 });
      await frame.waitForFunction(() => Boolean((window as unknown as { stacklab?: { session?: string } }).stacklab?.session), null, { timeout: 20_000 });
      const seen = await frame.evaluate(() => {
        const s = (window as unknown as { stacklab: { session: string; labId: string } }).stacklab;
        return { session: s.session, labId: s.labId };
      });
      assert.equal(seen.labId, 'linux-basics');
      const session = await verifySession(h.runtime.ctx.keys, seen.session);
      assert.equal(session.learner, learnerId(h.emulator.issuer, user.sub));
      assert.equal(session.context, COURSE);
      assert.equal(session.displayName, 'Grace Hopper');
      // The browser went through the platform's auth endpoint and the tool's launch, and the course page stayed on top.
      assert.ok(visited.some((u) => u.startsWith(h.emulator.registration.auth_login_url)), visited.join('\n'));
      assert.equal(new URL(page.url()).origin, h.emulator.base);
      // The page itself talks to stacklab with the session: its stack is there for this learner.
      const stacks = await h.runtime.ctx.stacks.list({ learner: session.learner });
      assert.equal(stacks.length, 1);
      assert.equal(stacks[0].lab, 'linux-basics');
      // The login's state cookie came back inside the iframe (partitioned, SameSite=None) and the launch cleared it.
      assert.equal(h.runtime.ctx.lti.bindings.cookie, 1, JSON.stringify(h.runtime.ctx.lti.bindings));
      const cookies = await context.cookies(h.tool);
      assert.deepEqual(cookies, []);
    } finally {
      await context.close();
    }
  });

  test('a browser that drops the state cookie (as Safari in an iframe): the pages bind the login through the platform’s postMessage storage', async () => {
    h.emulator.offerStorage();
    const before = { ...h.runtime.ctx.lti.bindings };
    const user = h.emulator.addUser('ada', 'student', { name: 'Ada Lovelace' });
    const block = h.emulator.addBlock({ courseKey: COURSE, title: 'Lab 2', custom: { lab: 'linux-basics' } });
    const context = await browser.newContext();
    try {
      // The login's answer reaches the browser without its Set-Cookie, as if the browser had refused it.
      // (Fetched outside the browser: route.fetch() would file the cookie in the context's jar.)
      await context.route(`${h.tool}/lti/login?**`, async (route) => {
        const response = await fetch(route.request().url(), { redirect: 'manual' });
        const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'set-cookie'));
        await route.fulfill({ status: response.status, headers, body: await response.text() });
      });
      const page = await context.newPage();
      await page.goto(h.emulator.coursewareUrl(user, block));
      const frame = (await (await page.waitForSelector('#lti-frame')).contentFrame()) as Frame;
      await frame.waitForURL((url) => url.origin === h.tool && url.pathname === '/lab/linux-basics', { timeout: 20_000 });
      // The lab page's URL comes before its script has read the session: wait for the session itself.
      const handle = await frame.waitForFunction(() => (window as unknown as { stacklab?: { session?: string } }).stacklab?.session, undefined, { timeout: 20_000 });
      const session = await verifySession(h.runtime.ctx.keys, (await handle.jsonValue()) as string);
      assert.equal(session.learner, learnerId(h.emulator.issuer, user.sub));
      assert.equal(h.runtime.ctx.lti.bindings.storage, before.storage + 1, JSON.stringify(h.runtime.ctx.lti.bindings));
      assert.equal(h.runtime.ctx.lti.bindings.cookie, before.cookie);
      assert.deepEqual(await context.cookies(h.tool), []);
    } finally {
      h.emulator.offerStorage(false);
      await context.close();
    }
  });
});
