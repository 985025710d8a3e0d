#!/usr/bin/env node
// Runs the test files under the given folders (default: all of test/) with node's own test runner.
// Node 20's --test takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
function walk(path) {
  if (statSync(path).isFile()) {
    if (path.endsWith('.test.ts')) files.push(path);
    return;
  }
  for (const entry of readdirSync(path).sort()) walk(join(path, entry));
}
for (const root of roots.length ? roots : ['test']) walk(root);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.STACKLAB_TEST_CONCURRENCY ?? '1';
// Each test and hook has its own limit of at most 2 minutes (test/support/test-timeouts.mjs). Node 20's
// --test-timeout limits a whole file; it stays only as a backstop for a file that will not exit.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/support/test-timeouts.mjs', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=900000', '--test-reporter=spec', ...flags, ...files],
  // The tests run the sources, and so does every `bin/stacklab.js` they start (not a build that may be older).
  { stdio: 'inherit', env: { ...process.env, STACKLAB_FROM_SOURCE: '1' } },
);
process.exit(result.status ?? 1);
