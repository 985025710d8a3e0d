/**
 * The world the end-to-end tests run in: stacklab with a real worker and sweeps on the real clock, the
 * LOCAL LXC RUNTIME as provider, a real HTTP server, and headless Chromium (Debian's, never downloaded).
 * `close()` deletes every stack the tests launched (so no container is left) and stops everything.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mapCatalog } from '../../../src/domain/lab-catalog.ts';
import { createRuntime, type Runtime } from '../../../src/app/create-context.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import type { Lab } from '../../../src/domain/lab.ts';
import { buildApp } from '../../../src/http/app.ts';
import { issueSession } from '../../../src/http/session.ts';
import { buildWebAssets } from '../../../src/http/static.ts';
import { checkLxcHost } from '../../../src/providers/lxc/host-check.ts';
import { isImageBuilt } from '../../../src/providers/lxc/images.ts';
import { parseLxcOptions } from '../../../src/providers/lxc/options.ts';
import { createLxcProvider } from '../../../src/providers/lxc/provider.ts';
import { Keys } from '../../../src/infra/keys.ts';
import { freshDatabase, type TestDatabase } from '../../support/databases.ts';
import { testLab } from '../../support/test-runtime.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
export const REPO = resolve(import.meta.dirname, '../../..');

/** Why the e2e tests cannot run here, or null when they can. */
export async function e2eBlocker(images: string[]): Promise<string | null> {
  if (!existsSync(CHROMIUM)) return `Chromium is not installed at ${CHROMIUM}: apt-get install chromium`;
  const host = await checkLxcHost();
  if (!host.ok) return `the local LXC runtime cannot run: ${host.reason}`;
  const settings = parseLxcOptions({});
  for (const image of images) {
    if (!isImageBuilt(settings, image)) return `the local runtime's "${image}" image is not built: run "stacklab image build ${image}"`;
  }
  return null;
}

export function templateLab(labDir: string, overrides: Partial<Lab>): Lab {
  const template = readFileSync(join(REPO, 'labs', labDir, 'template.yaml'), 'utf8');
  return testLab({ providers: [{ name: 'local', capacity: -1, template, templateFile: 'template.yaml' }], template, ...overrides });
}

export interface E2eWorld {
  runtime: Runtime;
  app: FastifyInstance;
  base: string;
  browser: Browser;
  session(learner: string): Promise<string>;
  openLab(learner: string, lab: string): Promise<Page>;
  /** Where screenshots go: docs/ when STACKLAB_SCREENSHOTS=docs, else a temporary folder. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** The e2e runs are one deployment, so their local-runtime stacks live apart from any server's on this host. */
const E2E_DEPLOYMENT = 'e2etests';

/** `ltiConfig`: the `lti:` section (a test that launches from the LTI emulator registers it there). */
export async function e2eWorld(labs: Lab[], overrides: Record<string, unknown> = {}, options: { ltiConfig?: unknown } = {}): Promise<E2eWorld> {
  const database: TestDatabase = await freshDatabase('pglite');
  const { config } = loadConfig({
    env: {},
    overrides: { api_token: 'e2e-token-0123456789abcdef', data_dir: '/tmp/stacklab-e2e-data', deployment_id: E2E_DEPLOYMENT, poll_interval: 0.25, suspender_interval: 1, log_level: 'silent', token_ttl: 60, ...overrides },
  });
  const logger = pino({ level: process.env.STACKLAB_E2E_LOG ?? 'silent' });
  const runtime = await createRuntime({
    config,
    ltiConfig: options.ltiConfig,
    db: database.db,
    providers: [createLxcProvider('local', {}, logger.child({ component: 'lxc' }), { deployment: E2E_DEPLOYMENT })],
    labs: mapCatalog(labs),
    keys: Keys.ephemeral(),
    logger,
  });
  runtime.worker.start();
  runtime.scheduler.start();
  // Bundled first: on a loaded machine esbuild can outlast fastify's 10 s limit for a plugin to start.
  await buildWebAssets();
  const app = await buildApp(runtime.ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const shotDir = process.env.STACKLAB_SCREENSHOTS === 'docs' ? join(REPO, 'docs') : join('/tmp', 'stacklab-e2e-screenshots');
  mkdirSync(shotDir, { recursive: true });
  const world: E2eWorld = {
    runtime,
    app,
    base,
    browser,
    session: (learner) => issueSession(runtime.ctx.keys, { learner, context: 'e2e-course', roles: ['Learner'], displayName: learner }, 3600),
    async openLab(learner, lab) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
      await page.goto(`${base}/lab/${lab}#session=${await world.session(learner)}`);
      return page;
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(shotDir, `${name}.png`) });
    },
    async close() {
      await browser.close().catch(() => undefined);
      const stacks = await runtime.ctx.stacks.list({});
      for (const stack of stacks) {
        if (stack.state === 'DELETED') continue;
        await runtime.ctx.stacks.requestDelete(stack.id, 'e2e-cleanup').catch(() => undefined);
      }
      // All at once: the after hook has two minutes in all, not per stack.
      await Promise.all(stacks.map((stack) => runtime.ctx.stacks.waitForState(stack.id, ['DELETED'], 90_000).catch(() => undefined)));
      await app.close();
      await runtime.close();
      await database.drop();
    },
  };
  return world;
}

/**
 * What the terminal helpers need from a page: Playwright's (Chromium) and Puppeteer's (Firefox) both fit,
 * so the Chromium and Firefox tests drive the terminal the same way.
 */
export interface TerminalPage {
  evaluate(read: () => string): Promise<string>;
  click(selector: string): Promise<unknown>;
  keyboard: { type(text: string, options?: { delay?: number }): Promise<void>; press(key: string): Promise<void> };
}

/** The terminal's visible text (xterm's DOM renderer). */
export async function terminalText(page: TerminalPage): Promise<string> {
  return page.evaluate(() => (document.querySelector('#terminal .xterm-rows') as HTMLElement | null)?.innerText ?? '');
}

export async function waitForTerminal(page: TerminalPage, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await terminalText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`terminal never showed ${pattern}; it shows:\n${text}`);
    await delay(200);
  }
}

/** Types a command line into the focused terminal, as a learner would. */
export async function typeLine(page: TerminalPage, line: string): Promise<void> {
  await page.click('#terminal .xterm');
  await page.keyboard.type(line, { delay: 5 });
  await page.keyboard.press('Enter');
}

/** The terminal in a frame (an LMS course page): read and click in the frame, type on the page's keyboard. */
export function framedTerminal(frame: Pick<TerminalPage, 'evaluate' | 'click'>, keyboard: TerminalPage['keyboard']): TerminalPage {
  return { evaluate: (read) => frame.evaluate(read), click: (selector) => frame.click(selector), keyboard };
}

/**
 * Where to double-click to select the word at the start of the last terminal row that starts with
 * `prefix`, in the coordinates of the terminal's document.
 */
export async function rowStartPoint(page: TerminalPage, prefix: string): Promise<{ x: number; y: number }> {
  const rows = JSON.parse(
    await page.evaluate(() =>
      JSON.stringify(
        [...document.querySelectorAll('#terminal .xterm-rows > div')].map((row) => {
          const box = row.getBoundingClientRect();
          return { text: (row.textContent ?? '').trim(), x: box.left + 20, y: box.top + box.height / 2 };
        }),
      ),
    ),
  ) as { text: string; x: number; y: number }[];
  const row = rows.filter((candidate) => candidate.text.startsWith(prefix)).pop();
  if (!row) throw new Error(`no terminal row starts with "${prefix}"`);
  return { x: row.x, y: row.y };
}
