/**
 * stacklab (real HTTP server, real database, fake provider) and the Open edX emulator, registered
 * with each other the way an administrator would: the platform in stacklab's `lti:` config, the tool
 * in the emulator. The emulator listens on `localhost` and stacklab on `127.0.0.1`: two sites, so a
 * flow that leaned on cookies would break here as it does inside an LMS iframe.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { mapCatalog } from '../../src/app/context.ts';
import { createRuntime, type Runtime } from '../../src/app/create-context.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { buildApp } from '../../src/http/app.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { systemClock } from '../../src/services/clock.ts';
import { Keys } from '../../src/services/keys.ts';
import { freshDatabase, postgresAvailable, type Backend } from '../support/databases.ts';
import { testLab } from '../support/test-runtime.ts';
import { OpenEdxEmulator } from './emulator/open-edx-emulator.ts';

export const CLIENT_ID = 'stacklab-tool-client';
export const DEPLOYMENT_ID = '1';
export const API_TOKEN = 'lti-test-token-0123456789abcdef';

export interface Harness {
  runtime: Runtime;
  app: FastifyInstance;
  tool: string;
  emulator: OpenEdxEmulator;
  close(): Promise<void>;
}

export const LABS = [
  testLab({ id: 'linux-basics', title: 'Linux basics', description: 'Files, processes and permissions.', gradePolicy: 'best' }),
  testLab({ id: 'networking', title: 'Networking', description: 'Routes and firewalls.', gradePolicy: 'latest' }),
];

export async function startHarness(options: { backend?: Backend; lti?: Record<string, unknown> } = {}): Promise<Harness> {
  const emulator = await OpenEdxEmulator.start({ host: 'localhost' });
  // PostgreSQL when it runs (a fresh schema is quick); the embedded store otherwise. store.test.ts covers both.
  const database = await freshDatabase(options.backend ?? ((await postgresAvailable()) ? 'postgres' : 'pglite'));
  const { config } = loadConfig({ env: {}, overrides: { api_token: API_TOKEN, data_dir: '/tmp/stacklab-lti-test', log_level: 'silent' } });
  const ltiConfig = {
    platforms: [{ name: 'openedx', client_id: CLIENT_ID, deployment_ids: [DEPLOYMENT_ID], ...emulator.registration }],
    grade_retry_seconds: 0.2,
    grade_retry_max_seconds: 0.5,
    jwks_refresh_seconds: 0,
    ...options.lti,
  };
  const runtime = await createRuntime({
    config,
    ltiConfig,
    db: database.db,
    clock: systemClock,
    providers: [new FakeProvider('fake')],
    labs: mapCatalog(LABS),
    keys: Keys.ephemeral(),
    logger: pino({ level: 'silent' }),
  });
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
    async close() {
      await app.close();
      await runtime.close();
      await emulator.stop();
      await database.drop();
    },
  };
}

/** Polls until `fn` returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(fn: () => T | undefined | Promise<T | undefined>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
