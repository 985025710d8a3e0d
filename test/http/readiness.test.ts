/**
 * /readyz says what is wrong, and a server without a runtime shows its labs as waiting for a provider:
 * a real runtime loading labs from a folder (one fine but with no provider to run on, one broken).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { pickerPage } from '../../src/lti/html.ts';
import { translator } from '../../src/infra/i18n/catalogues.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';

function labsFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stacklab-readyz-'));
  cpSync('labs/single-server', join(dir, 'single-server'), { recursive: true });
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'broken', 'lab.yaml'), 'title: Broken\ntemplate: missing.yaml\nprotocol: ssh\n');
  return dir;
}

describe('/readyz and a server without a runtime', () => {
  let dir: string;
  let rt: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    dir = labsFolder();
    rt = await testRuntime({ providers: [], overrides: { labs_dir: dir, demo: true } });
    app = await buildApp({ ...rt.ctx, notices: ['The local runtime is off: lxc-start is not installed.'] });
  });
  after(async () => {
    await app?.close();
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('names every problem: nothing can launch and why, labs waiting, labs that failed to load', async () => {
    const answer = await app.inject({ url: '/readyz' });
    assert.equal(answer.statusCode, 503);
    const body = answer.json();
    assert.equal(body.status, 'unavailable');
    assert.deepEqual(body.providers, []);
    assert.match(body.problems[0], /No provider can launch a lab\. The local runtime is off: lxc-start is not installed\./);
    assert.deepEqual(body.labsWaitingForProvider, ['One Linux server']);
    assert.equal(body.labsNotLoaded.length, 1);
    assert.match(body.labsNotLoaded[0].file, /broken\/lab\.yaml$/);
    assert.match(body.labsNotLoaded[0].reason, /missing\.yaml/);
    assert.ok(body.problems.some((p: string) => /1 lab\(s\) did not load/.test(p) && p.includes('broken/lab.yaml')));
  });

  test('the demo course lists the lab as waiting for a provider instead of "No labs are loaded"', async () => {
    const page = await app.inject({ url: '/', remoteAddress: '127.0.0.1' });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /No labs are loaded/);
    assert.match(page.body, /One Linux server/);
    assert.match(page.body, /Waiting for a provider/);
  });

  test("the LTI lab picker lists the waiting labs too, from this server's load failures", () => {
    const waiting = rt.ctx.labErrors.flatMap((e) => (e.waitingForProvider ? [e.waitingForProvider.title] : []));
    const html = pickerPage({ locale: 'en', t: translator('en') }, '/lti/deep-link', 'sealed', [], false, waiting);
    assert.doesNotMatch(html, /No labs are loaded/);
    assert.match(html, /Waiting for a provider[^<]*<\/p><ul><li translate="no">One Linux server<\/li><\/ul>/);
  });
});

describe('/readyz on a server that can launch', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  before(async () => {
    rt = await testRuntime({ providers: [new FakeProvider('fake')], overrides: { labs_dir: 'labs', default_providers: 'fake' } });
    app = await buildApp(rt.ctx);
  });
  after(async () => {
    await app?.close();
    await rt?.close();
  });

  test('is ready with no problems', async () => {
    const answer = await app.inject({ url: '/readyz' });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.json().status, 'ready');
    assert.deepEqual(answer.json().problems, []);
    assert.ok(answer.json().labs >= 1);
  });
});
