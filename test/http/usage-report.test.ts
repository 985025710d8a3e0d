import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { issueSession } from '../../src/http/session.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import type { CostReport } from '../../src/services/cost-report.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { settle, testApp, testLab, type TestApp } from '../support/test-runtime.ts';

const pgUp = await postgresAvailable();
const auth = { authorization: 'Bearer test-token-0123456789abcdef' };
const PRICES = { fake: { per: 'stack-hour', currency: 'EUR', stack: { running: 1, suspended: 0.5 } } };
/** A learner id that a spreadsheet would run as a formula. */
const SNEAKY = '=HYPERLINK("x")';

for (const backend of BACKENDS) {
  describe(`usage and cost report API on ${backend}`, { skip: backend === 'postgres' ? skipUnless(pgUp, 'PostgreSQL is not reachable at 127.0.0.1:5432') : false, concurrency: false }, () => {
    let t: TestApp;
    let instructor: string;
    let learner: string;
    let month: string;

    before(async () => {
      t = await testApp({ prices: PRICES }, { backend, labs: [testLab({ usageLimit: { seconds: 7200, mode: 'block' } })] });
      const { rt } = t;
      month = rt.clock.now().toISOString().slice(0, 7);
      instructor = await issueSession(rt.ctx.keys, { learner: 'prof', context: 'c1', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'] }, 600);
      learner = await issueSession(rt.ctx.keys, { learner: 'ada', context: 'c1', roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'] }, 600);
      // By hand: ada (c1) runs 1.5 h, works the first hour of it, is suspended, then 1 h suspended; the
      // other learner (c2) runs all 2.5 h without activity after the launch.
      const ada = await rt.ctx.stacks.launch({ learner: 'ada', context: 'c1', lab: 'demo', actor: 'test' });
      await rt.ctx.stacks.launch({ learner: SNEAKY, context: 'c2', lab: 'demo', actor: 'test' });
      await settle(rt);
      rt.clock.advance(3600);
      await rt.ctx.stacks.keepalive(ada.id, 'test');
      await rt.ctx.stacks.activityLedger.drain();
      rt.clock.advance(1800);
      await rt.ctx.stacks.requestSuspend(ada.id, 'test');
      await settle(rt);
      assert.equal((await rt.ctx.stacks.get(ada.id)).state, 'SUSPENDED');
      rt.clock.advance(3600);
    });
    after(async () => t?.close());

    const report = async (url: string, headers: Record<string, string>) => {
      const res = await t.app.inject({ url, headers });
      assert.equal(res.statusCode, 200, res.body);
      return res.json<CostReport>();
    };

    test('the operator report: billed, learning and always-on hours, cost and saving, per learner, course and lab', async () => {
      const r = await report(`/api/v1/reports/cost?from=${month}`, auth);
      assert.equal(r.currency, 'EUR');
      const ada = r.rows.find((row) => row.learner === 'ada')!;
      assert.deepEqual(
        { running: ada.billedHours.running, suspended: ada.billedHours.suspended, learning: ada.learningHours, alwaysOn: ada.alwaysOnHours, cost: ada.cost, saving: ada.saving },
        { running: 1.5, suspended: 1, learning: 1, alwaysOn: 2.5, cost: 2, saving: 0.5 },
      );
      const other = r.rows.find((row) => row.context === 'c2')!;
      assert.deepEqual({ running: other.billedHours.running, learning: other.learningHours, cost: other.cost, saving: other.saving }, { running: 2.5, learning: 0, cost: 2.5, saving: 0 });
      assert.deepEqual(r.byCourse.map((c) => [c.context, c.cost]), [['c1', 2], ['c2', 2.5]]);
      assert.equal(r.total.cost, 4.5);
      assert.equal(r.total.billedPerLearningHour, 5, '5 billed hours for 1 learning hour');
      assert.ok(r.runningStacks.some((p) => p.stacks > 0));
    });

    test('CSV and the HTML page with its plots; a learner id is never a spreadsheet formula', async () => {
      const csv = await t.app.inject({ url: `/api/v1/reports/cost?from=${month}&format=csv`, headers: auth });
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /text\/csv/);
      const lines = csv.body.trim().split('\r\n');
      assert.equal(lines[0].split(',')[0], 'month');
      assert.equal(lines.length, 3);
      assert.ok(lines.some((l) => l.includes(`"'=HYPERLINK(""x"")"`)), csv.body);
      const html = await t.app.inject({ url: `/api/v1/reports/cost?from=${month}&format=html`, headers: auth });
      assert.match(html.headers['content-type'] as string, /text\/html/);
      assert.match(html.body, /<svg id="plot-running"/);
      assert.equal((html.body.match(/class="plot-bars"/g) ?? []).length, 2);
      assert.match(html.body, /id="total-cost">€4\.50</);
      assert.ok(!html.body.includes('=HYPERLINK("x")'), 'text is escaped in the page');
    });

    test("the instructor's HTML report speaks the reader's language: words from the catalogue, money, hours and months by Intl, right to left in Arabic", async () => {
      const headers = { authorization: `Bearer ${instructor}` };
      const german = await t.app.inject({ url: `/api/v1/course/reports/cost?from=${month}&format=html`, headers: { ...headers, 'accept-language': 'de-DE, en;q=0.5' } });
      assert.equal(german.statusCode, 200, german.body);
      assert.match(german.body, /<html lang="de" dir="ltr">/);
      const monthName = new Intl.DateTimeFormat('de', { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${month}-01T00:00:00Z`));
      assert.ok(german.body.includes(`<h1>${translator('de')('report.heading', { period: monthName })}</h1>`), german.body);
      assert.ok(german.body.includes(`>${translator('de')('report.perLearnerMonth')}<`));
      // c1's cost is 2 EUR and its billed hours 2.5: the German way.
      assert.match(german.body, /id="total-cost">2,00\s€</);
      assert.match(german.body, /id="total-billed">2,5</);
      assert.ok(!german.body.includes('Cost report'), 'no English heading left');
      // ?lang= (the lab page's language, from the LTI launch) wins over the browser's.
      const french = await t.app.inject({ url: `/api/v1/course/reports/cost?from=${month}&format=html&lang=fr_CA`, headers: { ...headers, 'accept-language': 'de' } });
      assert.match(french.body, /<html lang="fr" dir="ltr">/);
      assert.ok(french.body.includes(translator('fr')('report.perCourse')));
      const rtl = await t.app.inject({ url: `/api/v1/course/reports/cost?from=${month}&format=html&lang=ar-XB`, headers });
      assert.match(rtl.body, /<html lang="ar-XB" dir="rtl">/);
      assert.match(rtl.body, /text-align: start/, 'the tables align by logical sides, so they turn with the page');
    });

    test("an instructor sees only their own course's report; learners and strangers see none", async () => {
      const r = await report(`/api/v1/course/reports/cost?from=${month}`, { authorization: `Bearer ${instructor}` });
      assert.deepEqual([...new Set(r.rows.map((row) => row.context))], ['c1']);
      assert.equal(r.total.cost, 2);
      const asked = await t.app.inject({ url: `/api/v1/course/reports/cost?context=c2`, headers: { authorization: `Bearer ${instructor}` } });
      assert.equal(asked.statusCode, 400, 'another course cannot be asked for');
      const byLearner = await t.app.inject({ url: '/api/v1/course/reports/cost', headers: { authorization: `Bearer ${learner}` } });
      assert.equal(byLearner.statusCode, 403);
      assert.equal(byLearner.json().code, 'FORBIDDEN');
      assert.equal((await t.app.inject({ url: '/api/v1/course/reports/cost' })).statusCode, 401);
      assert.equal((await t.app.inject({ url: '/api/v1/reports/cost', headers: { authorization: `Bearer ${instructor}` } })).statusCode, 401, 'a session is not the API token');
    });

    test('instructors extend a learner of their own course; the operator sets a course limit and reads any budget', async () => {
      const before = await t.app.inject({ url: '/api/v1/course/usage?learner=ada&lab=demo', headers: { authorization: `Bearer ${instructor}` } });
      assert.equal(before.statusCode, 200, before.body);
      assert.equal(before.json().status.budgetSeconds, 7200);
      assert.equal(before.json().status.usedSeconds, 5400);
      const extended = await t.app.inject({
        method: 'POST',
        url: '/api/v1/course/usage/extensions',
        headers: { authorization: `Bearer ${instructor}` },
        payload: { learner: 'ada', lab: 'demo', seconds: 1800, note: 'lab 3 retake' },
      });
      assert.equal(extended.statusCode, 200, extended.body);
      assert.equal(extended.json().status.budgetSeconds, 9000);
      assert.equal(extended.json().extensions[0].actor, 'instructor:prof');
      const badSeconds = await t.app.inject({ method: 'POST', url: '/api/v1/course/usage/extensions', headers: { authorization: `Bearer ${instructor}` }, payload: { learner: 'ada', lab: 'demo', seconds: -5 } });
      assert.equal(badSeconds.statusCode, 400);
      const byLearner = await t.app.inject({ method: 'POST', url: '/api/v1/course/usage/extensions', headers: { authorization: `Bearer ${learner}` }, payload: { learner: 'ada', lab: 'demo', seconds: 60 } });
      assert.equal(byLearner.statusCode, 403, 'a learner cannot extend their own budget');
      // The other course's learner is untouched by c1's instructor.
      const other = await t.app.inject({ url: `/api/v1/usage?learner=${encodeURIComponent(SNEAKY)}&context=c2&lab=demo`, headers: auth });
      assert.equal(other.json().status.budgetSeconds, 7200);
      const set = await t.app.inject({ method: 'PUT', url: '/api/v1/usage/limits', headers: auth, payload: { context: 'c2', lab: 'demo', seconds: 3600, mode: 'warn' } });
      assert.equal(set.statusCode, 200, set.body);
      const overridden = await t.app.inject({ url: `/api/v1/usage?learner=${encodeURIComponent(SNEAKY)}&context=c2&lab=demo`, headers: auth });
      assert.deepEqual([overridden.json().source, overridden.json().status.mode, overridden.json().status.exhausted], ['course', 'warn', true]);
    });

    test('the learner page API shows the time left; the keepalive leaves it out', async () => {
      const [stack] = await t.rt.ctx.stacks.list({ learner: 'ada', context: 'c1' });
      const res = await t.app.inject({ url: `/api/v1/me/stacks/${stack!.id}`, headers: { authorization: `Bearer ${learner}` } });
      assert.deepEqual(res.json().usage, { mode: 'block', budgetSeconds: 9000, leftSeconds: 3600, exhausted: false });
    });
  });
}
