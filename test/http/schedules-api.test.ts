/**
 * The schedule API (docs/pools.md, "Schedules"): the API token, a class added, listed with its next
 * occurrence and removed; times that make no class and labs that keep no pool refused with a sentence
 * in the caller's language; the config file's classes listed and not removable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testApp, testLab, type TestApp } from '../support/test-runtime.ts';

const auth = { authorization: 'Bearer test-token-0123456789abcdef' };
const COURSE = 'course-v1:Org+Sched+2026_T1';

describe('/api/v1/schedules', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp(
      { schedules: JSON.stringify([{ course: COURSE, lab: 'pooled', start: '2026-09-01T09:00:00Z', end: '2026-09-01T11:00:00Z', learners: 30, weekly_until: '2026-12-15T00:00:00Z' }]) },
      { labs: [testLab({ id: 'pooled', pool: { size: 1, state: 'suspended', perRun: false, runs: [] } }), testLab({ id: 'plain' })] },
    );
    t.rt.clock.set(new Date('2026-09-02T12:00:00Z'));
  });
  after(async () => t?.close());

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { ...auth, ...headers }, ...(payload ? { payload } : {}) });

  test('needs the API token', async () => {
    assert.equal((await t.app.inject({ url: '/api/v1/schedules' })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/schedules', payload: {} })).statusCode, 401);
  });

  test("lists the config file's class with its next weekly occurrence; it cannot be removed here", async () => {
    const listed = (await call('GET', '/api/v1/schedules')).json().classes;
    assert.deepEqual(listed, [
      {
        id: 'config-1',
        course: COURSE,
        lab: 'pooled',
        start: '2026-09-01T09:00:00.000Z',
        end: '2026-09-01T11:00:00.000Z',
        learners: 30,
        leadSeconds: 900,
        weeklyUntil: '2026-12-15T00:00:00.000Z',
        timeZone: null,
        source: 'config',
        next: { start: '2026-09-08T09:00:00.000Z', end: '2026-09-08T11:00:00.000Z' },
      },
    ]);
    const refused = await call('DELETE', '/api/v1/schedules/config-1', undefined, { 'accept-language': 'de' });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().message, 'Diese Unterrichtseinheit steht in der Konfigurationsdatei des Servers (schedules): Entfernen Sie sie dort.');
  });

  test('adds a class, lists it for its course, removes it', async () => {
    const added = await call('POST', '/api/v1/schedules', { course: 'other-course', lab: 'pooled', start: '2026-09-03T14:00:00Z', end: '2026-09-03T16:00:00Z', learners: 12, leadSeconds: 600 });
    assert.equal(added.statusCode, 201, added.body);
    const body = added.json();
    assert.equal(body.source, 'store');
    assert.deepEqual(body.next, { start: '2026-09-03T14:00:00.000Z', end: '2026-09-03T16:00:00.000Z' });
    assert.deepEqual((await call('GET', '/api/v1/schedules?course=other-course')).json().classes.map((c: { id: string }) => c.id), [body.id]);
    // The pool's size now counts the class once its window opens.
    t.rt.clock.set(new Date('2026-09-03T13:55:00Z'));
    assert.equal((await call('GET', '/api/v1/pools')).json().pools[0].size, 13);
    t.rt.clock.set(new Date('2026-09-02T12:00:00Z'));
    assert.equal((await call('DELETE', `/api/v1/schedules/${body.id}`)).statusCode, 200);
    assert.deepEqual((await call('GET', '/api/v1/schedules?course=other-course')).json().classes, []);
    const again = await call('DELETE', `/api/v1/schedules/${body.id}`, undefined, { 'accept-language': 'fr' });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().message, 'Il n’y a aucune séance avec cet identifiant dans le calendrier.');
  });

  test('a weekly class in a time zone keeps its local time across the change, and its pool window with it', async () => {
    // Tuesdays 09:00-11:00 Berlin time: 07:00Z in summer time, 08:00Z after 2026-10-25.
    const added = await call('POST', '/api/v1/schedules', { course: 'berlin-course', lab: 'pooled', start: '2026-10-20T07:00:00Z', end: '2026-10-20T09:00:00Z', learners: 7, weeklyUntil: '2026-12-01T00:00:00Z', timeZone: 'Europe/Berlin' });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().timeZone, 'Europe/Berlin');
    try {
      t.rt.clock.set(new Date('2026-10-21T00:00:00Z'));
      const [listed] = (await call('GET', '/api/v1/schedules?course=berlin-course')).json().classes;
      assert.equal(listed.timeZone, 'Europe/Berlin');
      assert.deepEqual(listed.next, { start: '2026-10-27T08:00:00.000Z', end: '2026-10-27T10:00:00.000Z' });
      t.rt.clock.set(new Date('2026-10-27T06:50:00Z'));
      assert.equal((await call('GET', '/api/v1/pools')).json().pools[0].size, 1, 'the pool grew at the summer UTC time');
      t.rt.clock.set(new Date('2026-10-27T07:50:00Z'));
      assert.equal((await call('GET', '/api/v1/pools')).json().pools[0].size, 8, 'the pool did not grow in the lead time before 09:00 local');
    } finally {
      t.rt.clock.set(new Date('2026-09-02T12:00:00Z'));
      await call('DELETE', `/api/v1/schedules/${added.json().id}`);
    }
    const unknown = await call('POST', '/api/v1/schedules', { course: 'berlin-course', lab: 'pooled', start: '2026-10-20T07:00:00Z', end: '2026-10-20T09:00:00Z', learners: 7, timeZone: 'Europe/Atlantis' }, { 'accept-language': 'de' });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().message, 'Europe/Atlantis ist keine Zeitzone: Geben Sie eine aus der IANA-Zeitzonendatenbank an, etwa Europe/Berlin.');
  });

  test('refuses times that make no class and labs without a pool, saying why in the caller\'s language', async () => {
    const base = { course: COURSE, lab: 'pooled', start: '2026-09-03T14:00:00Z', end: '2026-09-03T16:00:00Z', learners: 5 };
    const backwards = await call('POST', '/api/v1/schedules', { ...base, end: '2026-09-03T13:00:00Z' }, { 'accept-language': 'es' });
    assert.equal(backwards.statusCode, 400);
    assert.equal(backwards.json().message, 'La clase debe terminar después de empezar.');
    const overlapping = await call('POST', '/api/v1/schedules', { ...base, end: '2026-09-10T14:00:00Z', weeklyUntil: '2026-10-01T00:00:00Z' });
    assert.equal(overlapping.statusCode, 400);
    assert.equal(overlapping.json().message, 'A weekly class and its lead time together must be shorter than a week.');
    const noPool = await call('POST', '/api/v1/schedules', { ...base, lab: 'plain' }, { 'accept-language': 'zh-CN' });
    assert.equal(noPool.statusCode, 400);
    assert.equal(noPool.json().message, '实验 plain 没有预热池：请先在其 lab.yaml 中添加 pool 部分（大小为 0 即可），再为它安排课程。');
    const unknown = await call('POST', '/api/v1/schedules', { ...base, lab: 'nope' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'LAB_NOT_FOUND');
    assert.equal((await call('POST', '/api/v1/schedules', { ...base, start: 'tomorrow' })).statusCode, 400);
  });
});
