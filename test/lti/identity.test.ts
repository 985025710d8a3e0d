/** Learner ids, course runs and roles from LTI claims of Open edX, Canvas and Moodle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { courseRun, isInstructorRole, learnerId, sessionRoles } from '../../src/lti/identity.ts';

test('learner ids are stable per (issuer, sub) and differ across platforms', () => {
  assert.equal(learnerId('https://lms.example.com', 'abc'), learnerId('https://lms.example.com', 'abc'));
  assert.notEqual(learnerId('https://lms.example.com', 'abc'), learnerId('https://canvas.instructure.com', 'abc'));
  assert.notEqual(learnerId('https://lms.example.com', 'abc'), learnerId('https://lms.example.com', 'abd'));
  assert.match(learnerId('https://lms.example.com', 'abc'), /^lti-[0-9a-f]{32}$/);
});

test('the course run comes from Open edX course keys only', () => {
  assert.equal(courseRun('course-v1:HarvardX+CS50+2026_T1'), '2026_T1');
  assert.equal(courseRun('MITx/6.002x/2012_Fall'), '2012_Fall');
  assert.equal(courseRun('4dde05e8ca1973bcca9bffc13e1548820eee93a3'), undefined); // Canvas context id
  assert.equal(courseRun('42'), undefined); // Moodle course id
});

test('instructor roles from the three platforms (the full table per platform: role-rights.test.ts)', () => {
  const openEdxStaff = ['http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator', 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor'];
  const canvasTeacher = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor', 'http://purl.imsglobal.org/vocab/lis/v2/system/person#User'];
  const moodleTeacher = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'];
  // Canvas sends its TAs the Instructor role with the sub-role; the sub-role alone (Open edX's community TA) is a learner.
  const ta = ['http://purl.imsglobal.org/vocab/lis/v2/membership/instructor#TeachingAssistant', 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'];
  const taSubRoleOnly = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner', 'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant'];
  const student = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner', 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student'];
  for (const roles of [openEdxStaff, canvasTeacher, moodleTeacher, ta]) assert.equal(isInstructorRole(roles), true, roles.join());
  assert.equal(isInstructorRole(student), false);
  assert.equal(isInstructorRole(taSubRoleOnly), false);
  assert.deepEqual(sessionRoles(student), ['Learner']);
  assert.deepEqual(sessionRoles(moodleTeacher), ['Instructor', 'Learner']);
});
