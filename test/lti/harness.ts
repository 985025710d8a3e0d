/**
 * stacklab (real HTTP server, real database, fake provider) and the Open edX emulator, registered
 * with each other the way an administrator would: the platform in stacklab's `lti:` config, the tool
 * in the emulator. The emulator listens on `localhost` and stacklab on `127.0.0.1`: two sites, so a
 * flow that leaned on cookies would break here as it does inside an LMS iframe.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { createRuntime, type Runtime } from '../../src/app/create-context.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { openPostgres, type Database } from '../../src/db/database.ts';
import { buildApp } from '../../src/http/app.ts';
import { verifySession, type Session } from '../../src/http/session.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { systemClock } from '../../src/infra/clock.ts';
import { Keys } from '../../src/infra/keys.ts';
import { freshDatabase, postgresAvailable, type Backend, type TestDatabase } from '../support/databases.ts';
import { testLab } from '../support/test-runtime.ts';
import { MiniBrowser } from './emulator/mini-browser.ts';
import { OpenEdxEmulator, type Block, type User } from './emulator/open-edx-emulator.ts';

export const CLIENT_ID = 'stacklab-tool-client';
export const DEPLOYMENT_ID = '1';
export const API_TOKEN = 'lti-test-token-0123456789abcdef';

export interface Harness {
  runtime: Runtime;
  app: FastifyInstance;
  tool: string;
  emulator: OpenEdxEmulator;
  database: TestDatabase;
  /**
   * Another stacklab process on the same database, as `stacklab worker` runs it: no HTTP server, its
   * jobs started (unless `jobs: false`, for a test that runs their passes itself).
   */
  startWorker(id: string, options?: { jobs?: boolean }): Promise<Runtime>;
  close(): Promise<void>;
}

export const LABS = [
  testLab({ id: 'linux-basics', title: 'Linux basics', description: 'Files, processes and permissions.', gradePolicy: 'best' }),
  testLab({ id: 'networking', title: 'Networking', description: 'Routes and firewalls.', gradePolicy: 'latest' }),
];

/**
 * `config` adds settings (as the config file would). `jobs: false` runs the HTTP side alone, as `stacklab serve --no-worker` does: grades are queued but
 * nothing sends them until a worker (`startWorker`) runs.
 */
export async function startHarness(options: { backend?: Backend; lti?: Record<string, unknown>; jobs?: boolean; config?: Record<string, unknown> } = {}): Promise<Harness> {
  const emulator = await OpenEdxEmulator.start({ host: 'localhost' });
  // PostgreSQL when it runs (a fresh schema is quick); the embedded store otherwise. store.test.ts covers both.
  const database = await freshDatabase(options.backend ?? ((await postgresAvailable()) ? 'postgres' : 'pglite'));
  const { config } = loadConfig({ env: {}, overrides: { api_token: API_TOKEN, data_dir: '/tmp/stacklab-lti-test', log_level: 'silent', ...options.config } });
  const ltiConfig = {
    platforms: [{ name: 'openedx', client_id: CLIENT_ID, deployment_ids: [DEPLOYMENT_ID], ...emulator.registration }],
    grade_retry_seconds: 0.2,
    grade_retry_max_seconds: 0.5,
    jwks_refresh_seconds: 0,
    ...options.lti,
  };
  const keys = Keys.ephemeral();
  const runtimeOn = (db: Database, workerId?: string) =>
    createRuntime({ config, ltiConfig, db, clock: systemClock, providers: [new FakeProvider('fake')], labs: mapCatalog(LABS), keys, logger: pino({ level: 'silent' }), workerId });
  const runtime = await runtimeOn(database.db);
  // The periodic jobs (sweeps, LTI grade delivery) as `serve` runs them; the provider worker stays
  // off, since no test here needs a stack to come up.
  if (options.jobs !== false) runtime.scheduler.start();
  const workers: Runtime[] = [];
  const pools: Database[] = [];
  const app = await buildApp(runtime.ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const tool = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  emulator.registerTool({
    clientId: CLIENT_ID,
    deploymentId: DEPLOYMENT_ID,
    loginUrl: `${tool}/lti/login`,
    launchUrl: `${tool}/lti/launch`,
    redirectUris: [`${tool}/lti/launch`],
    keysetUrl: `${tool}/.well-known/jwks.json`,
  });
  return {
    runtime,
    app,
    tool,
    emulator,
    database,
    async startWorker(id, workerOptions = {}) {
      // PostgreSQL: a pool of its own, as a separate process would have; PGlite has one connection to share.
      const own = database.url ? await openPostgres(database.url, 4) : undefined;
      if (own) pools.push(own);
      const worker = await runtimeOn(own ?? database.db, id);
      workers.push(worker);
      if (workerOptions.jobs !== false) worker.startJobs();
      return worker;
    },
    async close() {
      for (const worker of workers.splice(0)) await worker.close();
      for (const pool of pools.splice(0)) await pool.close();
      await app.close();
      await runtime.close();
      await emulator.stop();
      await database.drop();
    },
  };
}

export interface LaunchedLearner {
  user: User;
  block: Block;
  session: Session;
  stackId: string;
}

/** A new learner opens `lab` from a new course block in the emulator, all the way to the lab page. */
export async function launchLearner(h: Harness, lab: string, agsMode: Block['agsMode'] = 'declarative', courseKey = 'course-v1:StackLabX+NET201+2026_T2'): Promise<LaunchedLearner> {
  const user = h.emulator.addUser(`u-${randomUUID().slice(0, 8)}`, 'student');
  const block = h.emulator.addBlock({ courseKey, custom: { lab }, agsMode, weight: 10 });
  const browser = new MiniBrowser();
  const answer = await browser.submit(await browser.get(h.emulator.loginInitiationUrl(user, block)));
  const token = /#session=(.+)$/.exec(answer.url)?.[1];
  assert.ok(token, `launch did not reach the lab page: ${answer.url} ${answer.text.slice(0, 200)}`);
  const session = await verifySession(h.runtime.ctx.keys, token);
  const [stack] = await h.runtime.ctx.stacks.list({ learner: session.learner });
  return { user, block, session, stackId: stack.id };
}

/** What the check service announces when a progress check of the learner's stack finished. */
export function checkCompleted(runtime: Runtime, l: LaunchedLearner, lab: string, score: number): void {
  runtime.ctx.events.emit('check.completed', {
    stackId: l.stackId,
    learner: l.session.learner,
    context: l.session.context,
    lab,
    score,
    maxScore: 1,
    passed: Math.round(score * 4),
    total: 4,
    at: new Date(),
    attemptId: randomUUID(),
  });
}
