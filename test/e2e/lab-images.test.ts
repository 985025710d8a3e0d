/**
 * Images in lab instructions, in real Chromium: the ten-servers sample's network diagram (an SVG in its
 * lab folder) loads in the lab page, and so does the same image of a hidden lab, whose URL carries the
 * access token. Only the instructions matter here, so the stacks run on the fake provider.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../../src/http/app.ts';
import { issueSession } from '../../src/http/session.ts';
import { loadLab } from '../../src/labs/load-labs.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO } from './support/e2e-world.ts';

describe('instruction images in the lab page (Chromium)', { skip: skipUnless(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`) }, () => {
  let runtime: TestRuntime;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  before(async () => {
    const tenServers = loadLab(join(REPO, 'labs', 'ten-servers'), { defaultProviders: ['fake'] });
    runtime = await testRuntime({ providers: [new FakeProvider('fake')], labs: [tenServers, { ...tenServers, id: 'ten-hidden', hidden: true }] });
    app = await buildApp(runtime.ctx);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await runtime?.close();
  });

  for (const lab of ['ten-servers', 'ten-hidden']) {
    test(`the network diagram of ${lab} loads`, async () => {
      const session = await issueSession(runtime.ctx.keys, { learner: 'grace', context: 'e2e', roles: ['Learner'] }, 600);
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const failed: string[] = [];
      page.on('requestfailed', (request) => failed.push(request.url()));
      page.on('response', (response) => response.status() >= 400 && response.url().includes('/files/') && failed.push(`${response.status()} ${response.url()}`));
      await page.goto(`${base}/lab/${lab}#session=${session}`);
      const image = await page.waitForSelector('#instructions img', { timeout: 15_000 });
      const width = await page.waitForFunction((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth, image, { timeout: 15_000 });
      assert.equal(await width.jsonValue(), 640, `the SVG rendered at its own width (failed requests: ${failed.join(', ') || 'none'})`);
      const src = await image.getAttribute('src');
      assert.ok(src?.startsWith(`/lab/${lab}/files/images/networks.svg`), src ?? '');
      if (lab === 'ten-hidden') assert.match(src ?? '', /\?access=/);
      await page.close();
    });
  }
});
