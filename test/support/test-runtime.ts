/** A whole stacklab runtime on a fresh database with a manual clock, for service, job and HTTP tests. */
import pino, { type Logger } from 'pino';
import { mapCatalog, type LabCatalog } from '../../src/domain/lab-catalog.ts';
import { createRuntime, type Runtime } from '../../src/app/create-context.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import type { Lab } from '../../src/domain/lab.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { ManualClock } from '../../src/infra/clock.ts';
import { Keys } from '../../src/infra/keys.ts';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { freshDatabase, type Backend } from './databases.ts';

export interface TestRuntime extends Runtime {
  clock: ManualClock;
  url?: string;
}

export async function testRuntime(options: {
  backend?: Backend;
  providers: Provider[];
  /** Absent: loaded from the labs_dir setting, as `serve` does (failures land in ctx.labErrors). */
  labs?: Lab[] | LabCatalog;
  overrides?: Record<string, unknown>;
  workerId?: string;
  /** Default: a silent one. A test that reads what the server logs passes its own. */
  logger?: Logger;
  /** PostgreSQL connections at most (default 10). */
  poolSize?: number;
}): Promise<TestRuntime> {
  const database = await freshDatabase(options.backend ?? 'pglite', options.poolSize);
  const clock = new ManualClock(new Date());
  const { config } = loadConfig({
    env: {},
    overrides: { api_token: 'test-token-0123456789abcdef', data_dir: '/tmp/stacklab-test-data', poll_interval: 0.01, log_level: 'silent', ...options.overrides },
  });
  const labs = options.labs === undefined ? undefined : Array.isArray(options.labs) ? mapCatalog(options.labs) : options.labs;
  const runtime = await createRuntime({
    config,
    db: database.db,
    clock,
    providers: options.providers,
    labs,
    keys: Keys.ephemeral(),
    logger: options.logger ?? pino({ level: 'silent' }),
    workerId: options.workerId,
  });
  return {
    ...runtime,
    clock,
    url: database.url,
    async close() {
      await runtime.close();
      await database.drop();
    },
  };
}

/** A lab in memory for tests that do not need files. */
export function testLab(overrides: Partial<Lab> = {}): Lab {
  return {
    id: 'demo',
    dir: '/nonexistent',
    title: 'Demo lab',
    description: '',
    template: 'heat_template_version: 2016-10-14\nresources: {}\n',
    templateFile: 'template.yaml',
    parameters: {},
    user: 'training',
    protocol: 'ssh',
    port: 22,
    ports: [],
    providers: [{ name: 'fake', capacity: -1, template: 'heat_template_version: 2016-10-14\nresources: {}\n', templateFile: 'template.yaml' }],
    timeouts: { launch: 900, suspend: 120, deleteAge: 14 * 24 * 3600, check: 120, remoteExec: 300 },
    checks: [],
    hookEvents: [],
    readOnly: false,
    recordTerminal: true,
    hidden: false,
    fullscreen: false,
    instructionsLayout: 'above',
    terminal: { font: 'monospace', fontSize: 14, colorScheme: 'dark' },
    progressCheckLabel: 'Check progress',
    progressCheckResultHeading: 'Progress check result',
    showFeedback: true,
    showHintsOnError: true,
    gradePolicy: 'best',
    allowInternet: false,
    ...overrides,
  };
}

/** Runs the worker until no work is left (claims and waits repeatedly). */
export async function settle(runtime: Runtime, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const started = await runtime.worker.tick();
    await runtime.worker.drain();
    if (started === 0) return;
  }
}

/** The HTTP app on a runtime with the fake provider and one test lab, for tests of the server's own rules. */
export interface TestApp {
  rt: TestRuntime;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function testApp(overrides: Record<string, unknown> = {}, options: { backend?: Backend; labs?: Lab[]; logger?: Logger; poolSize?: number } = {}): Promise<TestApp> {
  const rt = await testRuntime({ backend: options.backend, providers: [new FakeProvider('fake')], labs: options.labs ?? [testLab()], overrides, logger: options.logger, poolSize: options.poolSize });
  const app = await buildApp(rt.ctx);
  return {
    rt,
    app,
    async close() {
      await app.close();
      await rt.close();
    },
  };
}
