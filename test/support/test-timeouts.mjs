/**
 * Loaded with --import by scripts/run-tests.mjs: every test file that imports `node:test` gets
 * test/support/node-test-timeouts.mjs instead, which gives each test and hook a time limit of its own
 * (Node 20's --test-timeout limits a whole file, not a test: a stuck test would hang its file for the
 * file's whole limit).
 */
import { register } from 'node:module';

register('./node-test-resolve.mjs', import.meta.url);
