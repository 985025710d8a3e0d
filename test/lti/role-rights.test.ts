/**
 * Which LTI roles give stacklab's instructor rights, per platform, as docs/lti.md ("Roles: who gets
 * instructor rights") lists them. The role sets are what each platform's own code or documentation
 * sends; each is launched through the emulator (resource link and deep linking) and must give exactly
 * the documented rights: `Instructor` in the session and the lab picker, or a learner's session and a
 * refused picker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifySession } from '../../src/http/session.ts';
import { grantsInstructorRights, parseLisRole } from '../../src/domain/roles.ts';
import { MiniBrowser } from './emulator/mini-browser.ts';
import { startHarness, type Harness } from './harness.ts';

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2/';
const ctx = (name: string) => `${LIS}membership#${name}`;
const sub = (principal: string, name: string) => `${LIS}membership/${principal}#${name}`;
const inst = (name: string) => `${LIS}institution/person#${name}`;
const sys = (name: string) => `${LIS}system/person#${name}`;

type Rights = 'instructor' | 'learner';

/** [platform, who, roles sent, rights]: the table in docs/lti.md. */
export const ROLE_SETS: Array<[string, string, string[], Rights]> = [
  ['Open edX (xblock-lti-consumer, institution roles only)', 'course staff', [sys('Administrator'), inst('Instructor')], 'instructor'],
  ['Open edX (xblock-lti-consumer, institution roles only)', 'course instructor', [inst('Instructor')], 'instructor'],
  ['Open edX (xblock-lti-consumer, institution roles only)', 'student, guest', [inst('Student')], 'learner'],
  ['Open edX (with context roles)', 'global staff', [sys('Administrator'), inst('Administrator'), inst('Staff'), inst('Faculty'), inst('Instructor'), ctx('Administrator'), ctx('Instructor')], 'instructor'],
  ['Open edX (with context roles)', 'course staff', [sys('None'), inst('None'), ctx('Instructor')], 'instructor'],
  ['Open edX (with context roles)', 'course admin (instructor)', [sys('None'), inst('None'), ctx('Administrator'), ctx('Instructor')], 'instructor'],
  ['Open edX (with context roles)', 'student', [sys('None'), inst('None'), ctx('Learner')], 'learner'],
  ['Open edX (with context roles)', 'community TA (forum moderator)', [sys('None'), inst('None'), ctx('Learner'), sub('Instructor', 'TeachingAssistant')], 'learner'],
  ['Canvas', 'teacher', [ctx('Instructor'), inst('Instructor'), sys('User')], 'instructor'],
  ['Canvas', 'TA', [`${LIS}membership/instructor#TeachingAssistant`, ctx('Instructor'), sys('User')], 'instructor'],
  ['Canvas', 'designer', [ctx('ContentDeveloper'), sys('User')], 'instructor'],
  ['Canvas', 'student', [ctx('Learner'), inst('Student'), sys('User')], 'learner'],
  ['Canvas', 'student here who teaches another course', [ctx('Learner'), inst('Instructor'), inst('Student'), sys('User')], 'learner'],
  ['Canvas', 'observer (mentor)', [ctx('Mentor'), sys('User')], 'learner'],
  ['Canvas', 'account admin, not enrolled', [inst('Administrator'), sys('User')], 'instructor'],
  ['Canvas', 'site admin, not enrolled', [sys('SysAdmin'), sys('User')], 'instructor'],
  ['Moodle', 'teacher (mod/lti:manage)', [ctx('Instructor')], 'instructor'],
  ['Moodle', 'student', [ctx('Learner')], 'learner'],
  ['Moodle', 'site admin', [ctx('Instructor'), inst('Administrator'), sys('Administrator')], 'instructor'],
  ['Blackboard Learn', 'instructor, TA, course builder, grader (default mapping)', [ctx('Instructor'), inst('Faculty')], 'instructor'],
  ['Blackboard Learn', 'TA mapped to the TeachingAssistant context role', [sub('Instructor', 'TeachingAssistant'), inst('Staff')], 'learner'],
  ['Blackboard Learn', 'student', [ctx('Learner'), inst('Student')], 'learner'],
  ['Brightspace (D2L)', 'instructor (role mapped to Instructor)', [ctx('Instructor'), inst('Instructor')], 'instructor'],
  ['Brightspace (D2L)', 'student (role mapped to Learner)', [ctx('Learner'), inst('Student')], 'learner'],
  ['Sakai', 'maintain', [ctx('Instructor')], 'instructor'],
  ['Sakai', 'access', [ctx('Learner')], 'learner'],
  ['LTI 1.1-style roles', 'short name and URN', ['Instructor', 'urn:lti:instrole:ims/lis/Faculty'], 'instructor'],
  ['LTI 1.1-style roles', 'learner URN with institution admin URN', ['urn:lti:role:ims/lis/Learner', 'urn:lti:instrole:ims/lis/Administrator'], 'learner'],
  ['any platform', 'a vendor vocabulary that ends in #Instructor', ['https://lms.example.edu/roles#Instructor'], 'learner'],
];

test('the role rule: context roles decide when present; institution and system roles only without them', () => {
  for (const [platform, who, roles, rights] of ROLE_SETS) assert.equal(grantsInstructorRights(roles), rights === 'instructor', `${platform}: ${who}`);
  assert.deepEqual(parseLisRole(`${LIS}membership/instructor#TeachingAssistant`), { scope: 'context', name: 'instructor', subRole: 'TeachingAssistant' });
  assert.deepEqual(parseLisRole(sys('SysAdmin')), { scope: 'system', name: 'SysAdmin' });
  assert.equal(parseLisRole('https://lms.example.edu/roles#Instructor'), undefined);
});

describe('role sets launched from the platform', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });

  for (const [platform, who, roles, rights] of ROLE_SETS) {
    test(`${platform}: ${who} → ${rights}`, async () => {
      // 'instructor' lets the emulator send the deep-linking request; stacklab decides from the roles.
      const user = h.emulator.addUser(`u-${Math.random().toString(36).slice(2, 8)}`, 'instructor', { roles });
      const course = 'course-v1:StackLabX+ROLES+2026_T1';
      const browser = new MiniBrowser();
      const lab = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(user, h.emulator.addBlock({ courseKey: course, custom: { lab: 'linux-basics' } }))));
      const token = /#session=(.+)$/.exec(lab.url)?.[1];
      assert.ok(token, lab.url);
      const session = await verifySession(h.runtime.ctx.keys, token);
      assert.deepEqual(session.roles, rights === 'instructor' ? ['Instructor', 'Learner'] : ['Learner']);

      const picker = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(user, h.emulator.addBlock({ courseKey: course, deepLinking: true }), 'LtiDeepLinkingRequest')));
      if (rights === 'instructor') {
        assert.equal(picker.status, 200, picker.text.slice(0, 300));
        assert.match(picker.text, /Choose a lab for this course/);
        // The same instructor with German set on the platform gets the picker in German.
        const german = h.emulator.addUser(`de-${Math.random().toString(36).slice(2, 8)}`, 'instructor', { roles, locale: 'de' });
        const germanBrowser = new MiniBrowser();
        const deText = (await germanBrowser.submit(await germanBrowser.get(h.emulator.loginInitiationUrl(german, h.emulator.addBlock({ courseKey: course, deepLinking: true }), 'LtiDeepLinkingRequest')))).text;
        assert.match(deText, /<html lang="de" dir="ltr">/);
        assert.match(deText, /Wählen Sie ein Lab für diesen Kurs/);
      } else {
        assert.equal(picker.status, 403);
        assert.match(picker.text, /Reason: forbidden/);
      }
    });
  }
});
