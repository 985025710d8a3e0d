/**
 * A worker process for the multi-process tests: a real `Worker` on the PostgreSQL schema given in
 * WORKER_DB_URL, with a fake provider whose state lives in WORKER_STATE_DIR so that every process sees
 * the same stacks. It runs until killed.
 */
import pino from 'pino';
import { createRuntime } from '../../src/app/create-context.ts';
import { mapCatalog } from '../../src/domain/lab-catalog.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { openPostgres } from '../../src/db/database.ts';
import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { Keys } from '../../src/infra/keys.ts';
import { testLab } from '../support/test-runtime.ts';

const db = await openPostgres(process.env.WORKER_DB_URL!, 4);
const fake = new FakeProvider('fake', { state_dir: process.env.WORKER_STATE_DIR!, delay_ms: Number(process.env.WORKER_DELAY_MS ?? 50) });
const { config } = loadConfig({ env: {}, overrides: { lease: Number(process.env.WORKER_LEASE ?? 5), poll_interval: 0.05, log_level: 'silent', api_token: 'x'.repeat(20) } });
const runtime = await createRuntime({
  config,
  db,
  providers: [fake],
  labs: mapCatalog([testLab()]),
  keys: Keys.fromBase64(Buffer.alloc(32, 7).toString('base64')),
  logger: pino({ level: 'silent' }),
  workerId: process.env.WORKER_ID,
});
runtime.worker.start();
process.send?.('started');
