import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { inEnglish, sentence } from '../../src/errors/sentence.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { checksLab } from './support/checks-lab.ts';
import { SSHD_PRESENT, SSHD_WHY } from './support/lab-sshd.ts';
import { SshdProvider } from './support/sshd-provider.ts';
import { DO_FIRST_STEP } from './support/three-checks.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('progress check API', { skip: skipUnless(SSHD_PRESENT, SSHD_WHY) }, () => {
  let runtime: TestRuntime;
  let provider: SshdProvider;
  let app: FastifyInstance;
  before(async () => {
    provider = new SshdProvider();
    runtime = await testRuntime({ providers: [provider], labs: [checksLab(), checksLab({ id: 'quiet', showHintsOnError: false }), checksLab({ id: 'silent', showFeedback: false })] });
    runtime.worker.start();
    app = await buildApp(runtime.ctx);
  });
  after(async () => {
    await app?.close();
    await runtime?.close();
    await provider?.close();
  });

  async function stackOf(learner: string, lab = 'three') {
    const stack = await runtime.ctx.stacks.launch({ learner, context: 'course-1', lab, actor: 'test' });
    await runtime.ctx.stacks.waitForState(stack.id, ['READY'], 30_000);
    await provider.lab((await runtime.ctx.stacks.get(stack.id)).providerStackName).learner(DO_FIRST_STEP);
    return stack;
  }
  const session = (learner: string) => issueSession(runtime.ctx.keys, { learner, context: 'course-1', roles: ['Learner'] }, 600);

  test('service API: needs the token; POST ?wait=true gives the result, GET reads it with the grade', async () => {
    const stack = await stackOf('frank');
    const denied = await app.inject({ method: 'POST', url: `/api/v1/stacks/${stack.id}/check` });
    assert.equal(denied.statusCode, 401);
    const posted = await app.inject({ method: 'POST', url: `/api/v1/stacks/${stack.id}/check?wait=true`, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(posted.statusCode, 200, posted.body);
    const { run } = posted.json();
    assert.deepEqual([run.status, run.passed, run.total], ['completed', 1, 3]);
    const got = await app.inject({ method: 'GET', url: `/api/v1/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().latest.id, run.id);
    assert.equal(got.json().grade, 0.25);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/stacks/nope/check', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(missing.statusCode, 404);
  });

  test('learner API: own stack only; POST starts (202), GET shows results and hints', async () => {
    const stack = await stackOf('grace');
    const mallory = await session('mallory');
    for (const method of ['POST', 'GET'] as const) {
      const other = await app.inject({ method, url: `/api/v1/me/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${mallory}` } });
      assert.equal(other.statusCode, 404, `${method} on another learner's stack`);
      assert.equal(other.json().code, 'STACK_NOT_FOUND');
    }
    assert.equal((await runtime.ctx.db.query('SELECT 1 FROM check_runs WHERE stack_id = $1', [stack.id])).length, 0, 'no run was started for mallory');
    const noSession = await app.inject({ method: 'GET', url: `/api/v1/me/stacks/${stack.id}/check` });
    assert.equal(noSession.statusCode, 401);

    const grace = await session('grace');
    const started = await app.inject({ method: 'POST', url: `/api/v1/me/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${grace}` } });
    assert.equal(started.statusCode, 202, started.body);
    assert.equal(started.json().run.status, 'running');
    await checkDone(stack.id, grace);
    const got = await app.inject({ method: 'GET', url: `/api/v1/me/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${grace}` } });
    const body = got.json();
    assert.equal(body.label, 'Check progress');
    assert.equal(body.latest.passed, 1);
    assert.deepEqual(
      body.latest.results.map((r: { hint?: string }) => r.hint ?? null),
      [null, 'Make a folder named project in your home directory.', 'Write ~/bin/greet, an executable that prints hi.'],
    );
  });

  test("stacklab's own framing of a run reaches the learner in their language; the service API and the author's hints keep theirs", async () => {
    const stack = await stackOf('jules');
    const interrupted = inEnglish(sentence('check.run.interrupted'));
    const results = [
      { index: 0, title: 'hello.txt', weight: 1, passed: false, timedOut: true, durationMs: 0, hint: inEnglish(sentence('check.hint.timedOut', { seconds: 30 })) },
      { index: 1, title: 'project folder', weight: 1, passed: false, timedOut: false, durationMs: 5, hint: 'Make a folder named project in your home directory.' },
    ];
    await runtime.ctx.db.query(
      `INSERT INTO check_runs (id, stack_id, learner, context, lab, status, actor, started_at, deadline, finished_at, results, error)
       VALUES ('run-jules', $1, 'jules', 'course-1', 'three', 'error', 'test', now(), now(), now(), $2, $3)`,
      [stack.id, JSON.stringify(results), interrupted],
    );
    const read = async (acceptLanguage: string) =>
      (await app.inject({ method: 'GET', url: `/api/v1/me/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${await session('jules')}`, 'accept-language': acceptLanguage } })).json().latest;
    const german = await read('de-DE');
    assert.equal(german.error, translator('de')('check.run.interrupted'));
    assert.deepEqual(
      german.results.map((r: { hint: string }) => r.hint),
      [translator('de')('check.hint.timedOut', { seconds: 30 }), 'Make a folder named project in your home directory.'],
    );
    assert.equal((await read('ja')).error, interrupted);
    const service = await app.inject({ method: 'GET', url: `/api/v1/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${TOKEN}`, 'accept-language': 'de' } });
    assert.equal(service.json().latest.error, interrupted);
  });

  test('show_hints_on_error: false hides hints; show_feedback: false hides results and score from the learner', async () => {
    for (const [lab, learner] of [
      ['quiet', 'henry'],
      ['silent', 'iris'],
    ] as const) {
      const stack = await stackOf(learner, lab);
      const token = await session(learner);
      const posted = await app.inject({ method: 'POST', url: `/api/v1/me/stacks/${stack.id}/check?wait=true`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(posted.statusCode, 200, posted.body);
      const run = posted.json().run;
      assert.equal(run.status, 'completed');
      if (lab === 'quiet') {
        assert.equal(run.passed, 1);
        assert.ok(run.results.every((r: { hint?: string }) => r.hint === undefined));
      } else {
        assert.equal(run.results, undefined);
        assert.equal(run.score, undefined);
      }
      // The service side still sees everything.
      const full = await app.inject({ method: 'GET', url: `/api/v1/stacks/${stack.id}/check`, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(full.json().latest.results[1].hint, 'Make a folder named project in your home directory.');
    }
  });

  async function checkDone(stackId: string, token: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const got = await app.inject({ method: 'GET', url: `/api/v1/me/stacks/${stackId}/check`, headers: { authorization: `Bearer ${token}` } });
      if (got.json().latest?.status !== 'running') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('check did not finish');
  }
});
