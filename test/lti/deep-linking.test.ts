/** Deep Linking 2.0: an instructor picks a lab in stacklab; the emulator accepts the signed answer. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { escapeHtml } from '../../src/lti/html.ts';
import { MiniBrowser, firstForm } from './emulator/mini-browser.ts';
import { startHarness, type Harness } from './harness.ts';

const COURSE = 'course-v1:StackLabX+DL301+2026_T1';

describe('LTI deep linking', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('an instructor picks a lab; the platform stores an ltiResourceLink with lab=... and a line item; learners then open that lab', async () => {
    const instructor = h.emulator.addUser('instructor', 'instructor');
    const block = h.emulator.addBlock({ courseKey: COURSE, deepLinking: true, agsMode: 'programmatic' });
    const browser = new MiniBrowser();
    const picker = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(instructor, block, 'LtiDeepLinkingRequest')));
    assert.equal(picker.status, 200, picker.text.slice(0, 300));
    assert.match(picker.text, /Linux basics/);
    assert.match(picker.text, /Networking/);
    const answer = await browser.submit(picker, { lab: 'networking' });
    const form = firstForm(answer.text, answer.url)!;
    assert.equal(form.action, h.emulator.dl.returnUrl);
    const claims = decodeJwt(form.fields.JWT);
    assert.equal(claims.iss, 'stacklab-tool-client');
    assert.equal(claims.aud, h.emulator.issuer);
    const saved = await browser.submit(answer);
    assert.equal(saved.status, 200, saved.text);
    const outcome = h.emulator.dl.outcomes.at(-1)!;
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.items?.length, 1);
    const [item] = outcome.items!;
    assert.equal(item.type, 'ltiResourceLink');
    assert.deepEqual(item.custom, { lab: 'networking' });
    assert.equal(item.lineItem?.scoreMaximum, 100);
    assert.equal(item.url, `${h.tool}/lti/launch`);
    // The platform made a gradebook column from the line item.
    assert.equal(h.emulator.ags.lineItemOf(block)?.scoreMaximum, 100);

    const learner = h.emulator.addUser('dl-learner', 'student');
    const launch = await new MiniBrowser().get(h.emulator.loginInitiationUrl(learner, block)).then(async (p) => new MiniBrowser().submit(p));
    assert.equal(new URL(launch.url).pathname, '/lab/networking');
  });

  test('refused: a picker answer without a valid signed request', async () => {
    const page = await new MiniBrowser().post(`${h.tool}/lti/deep-link`, { request: 'not-a-token', lab: 'networking' });
    assert.equal(page.status, 401);
    assert.match(page.text, /Reason: state_unknown/);
  });

  test('the emulator itself refuses a response signed with a key the tool did not publish', async () => {
    const instructor = h.emulator.addUser('instructor-2', 'staff');
    const block = h.emulator.addBlock({ courseKey: COURSE, deepLinking: true });
    const browser = new MiniBrowser();
    const picker = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(instructor, block, 'LtiDeepLinkingRequest')));
    const answer = await browser.submit(picker, { lab: 'linux-basics' });
    const form = firstForm(answer.text, answer.url)!;
    const [header, payload] = form.fields.JWT.split('.');
    const tampered = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const saved = await browser.post(form.action, { JWT: tampered });
    assert.equal(saved.status, 403);
    assert.equal(h.emulator.dl.outcomes.at(-1)?.ok, false);
  });

  /** An instructor's picker page for a new deep-linking block, in a browser of its own. */
  async function pickerFor(username: string) {
    const instructor = h.emulator.addUser(username, 'instructor');
    const block = h.emulator.addBlock({ courseKey: COURSE, deepLinking: true });
    const browser = new MiniBrowser();
    const picker = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(instructor, block, 'LtiDeepLinkingRequest')));
    assert.equal(picker.status, 200, picker.text.slice(0, 300));
    return { browser, picker, instructor, block };
  }

  test('the picker token is single use: the same page posted again is refused; a missing choice does not spend it', async () => {
    const { browser, picker } = await pickerFor('instructor-once');
    const none = await browser.submit(picker);
    assert.equal(none.status, 404, 'no lab chosen');
    assert.match(none.text, /Choose a lab first/);
    const first = await browser.submit(picker, { lab: 'linux-basics' });
    assert.equal(first.status, 200, first.text.slice(0, 300));
    assert.ok(firstForm(first.text, first.url)?.fields.JWT);
    const again = await browser.submit(picker, { lab: 'networking' });
    assert.equal(again.status, 401);
    assert.match(again.text, /Reason: state_unknown/);
    assert.match(again.text, /already added with this lab picker/);
  });

  test("the picker and the pages after it speak the instructor's platform language, ahead of the browser's", async () => {
    const instructor = h.emulator.addUser('instructor-fr', 'instructor', { locale: 'fr_FR' });
    const block = h.emulator.addBlock({ courseKey: COURSE, deepLinking: true });
    const browser = new MiniBrowser({ headers: { 'accept-language': 'de-DE' } });
    const fr = translator('fr');
    const picker = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(instructor, block, 'LtiDeepLinkingRequest')));
    assert.equal(picker.status, 200, picker.text.slice(0, 300));
    assert.match(picker.text, /<html lang="fr" dir="ltr">/);
    assert.ok(picker.text.includes(escapeHtml(fr('lti.pickerHeading'))));
    // No lab chosen: the refusal, then the page that posts the choice back to the platform, in French too.
    const none = await browser.submit(picker);
    assert.equal(none.status, 404);
    assert.match(none.text, /<html lang="fr" dir="ltr">/);
    assert.ok(none.text.includes(escapeHtml(fr('lti.refusal.chooseLab'))), none.text);
    const adding = await browser.submit(picker, { lab: 'linux-basics' });
    assert.equal(adding.status, 200, adding.text.slice(0, 300));
    assert.match(adding.text, /<html lang="fr" dir="ltr">/);
    assert.ok(adding.text.includes(`<title>${escapeHtml(fr('lti.addingLab'))}</title>`), adding.text);
  });

  for (const returnUrl of ['javascript:alert(document.domain)', 'data:text/html,<script>alert(1)</script>', 'ftp://lms.example/return', 'not a url']) {
    test(`refused: a deep-linking return URL that is not http(s): ${returnUrl.slice(0, 24)}`, async () => {
      const instructor = h.emulator.addUser(`instructor-${Math.random().toString(36).slice(2, 8)}`, 'instructor');
      const block = h.emulator.addBlock({ courseKey: COURSE, deepLinking: true });
      h.emulator.tamperNext({ deepLinkReturnUrl: returnUrl });
      const browser = new MiniBrowser();
      const answer = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(instructor, block, 'LtiDeepLinkingRequest')));
      assert.equal(answer.status, 400);
      assert.match(answer.text, /Reason: claims/);
      assert.match(answer.text, /not a web address \(http or https\)/);
      assert.doesNotMatch(answer.text, /javascript:|data:text/);
    });
  }
});
