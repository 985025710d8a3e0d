import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import { renderErrorDocs } from '../../src/app/error-catalogue.ts';
import { renderConfigDocs } from '../../src/config/render-docs.ts';

test('defaults are hastexo\'s where hastexo had them', () => {
  const { config } = loadConfig({ env: {} });
  assert.equal(config.suspend_timeout, 120);
  assert.equal(config.delete_age, 14 * 24 * 3600);
  assert.equal(config.launch_timeout, 900);
  assert.equal(config.check_timeout, 120);
  assert.equal(config.keepalive_interval, 30);
  // Not hastexo's 3600 any more: issue #18 chose a shorter countdown by `npm run bench -- cost`, once
  // departures and the gateway's activity tell the server what the page cannot (BENCHMARKS.md).
  assert.equal(config.idle_timeout, 300);
  assert.equal(config.departure_grace, 60);
  assert.equal(config.port, 8080);
  assert.equal(config.labs_dir, 'labs');
});

test('environment variables override the file, and values are validated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'stacklab.yaml');
  writeFileSync(file, 'suspend_timeout: 300\nlabs_dir: /srv/labs\n');
  const { config } = loadConfig({ env: { STACKLAB_SUSPEND_TIMEOUT: '600', PORT: '9000' }, file });
  assert.equal(config.suspend_timeout, 600);
  assert.equal(config.labs_dir, '/srv/labs');
  assert.equal(config.port, 9000);
  assert.throws(() => loadConfig({ env: { STACKLAB_SUSPEND_TIMEOUT: 'soon' } }), (e: ConfigError) => e.problems.some((p) => p.includes('suspend_timeout (STACKLAB_SUSPEND_TIMEOUT)')));
});

test('unknown keys and unknown STACKLAB_ variables are refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'stacklab.yaml');
  writeFileSync(file, 'suspend_timout: 300\n');
  assert.throws(() => loadConfig({ env: {}, file }), /unknown key 'suspend_timout'/);
  assert.throws(() => loadConfig({ env: { STACKLAB_SUSPEND_TIMOUT: '1' } }), /unknown environment variable STACKLAB_SUSPEND_TIMOUT/);
});

test('docs/configuration.md and docs/errors.md match the schema and the catalogue', () => {
  assert.equal(readFileSync('docs/configuration.md', 'utf8'), renderConfigDocs(), 'run `npm run docs`');
  assert.equal(readFileSync('docs/errors.md', 'utf8'), renderErrorDocs(), 'run `npm run docs`');
});
