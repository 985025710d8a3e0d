/**
 * `node:test` with a time limit on every test and hook: a test gets at most STACKLAB_TEST_TIMEOUT_MS
 * (default and ceiling 120000), so a stuck test fails within two minutes instead of hanging its file.
 * A limit a test sets for itself is kept when it is shorter and lowered to the ceiling when it is
 * longer. Hooks get twice that: a before hook may build a whole world (an embedded database from
 * scratch, Chromium, containers), which on a loaded machine has taken over two minutes. Suites
 * (describe) get none: their tests and hooks each have one.
 */
import * as nodeTest from 'node:test';

export * from 'node:test';

const CEILING_MS = 120_000;
export const TEST_TIMEOUT_MS = Math.min(CEILING_MS, Number(process.env.STACKLAB_TEST_TIMEOUT_MS) || CEILING_MS);

export const HOOK_TIMEOUT_MS = 2 * TEST_TIMEOUT_MS;

function limited(options, ceiling = TEST_TIMEOUT_MS) {
  const own = options?.timeout;
  return { ...options, timeout: typeof own === 'number' && own < ceiling ? own : ceiling };
}

/** test/it and their .skip/.todo/.only: ([name][, options][, fn]). */
function limitTest(original) {
  const wrapped = (...args) => {
    const out = [];
    if (typeof args[0] === 'string') out.push(args.shift());
    const options = args[0] !== null && typeof args[0] === 'object' ? args.shift() : undefined;
    out.push(limited(options), ...args);
    return original(...out);
  };
  for (const variant of ['skip', 'todo', 'only']) if (typeof original[variant] === 'function') wrapped[variant] = limitTest(original[variant]);
  return wrapped;
}

/** before/after/beforeEach/afterEach: (fn[, options]). */
function limitHook(original) {
  return (fn, options) => original(fn, limited(options, HOOK_TIMEOUT_MS));
}

export const test = limitTest(nodeTest.test);
export const it = limitTest(nodeTest.it);
export const before = limitHook(nodeTest.before);
export const after = limitHook(nodeTest.after);
export const beforeEach = limitHook(nodeTest.beforeEach);
export const afterEach = limitHook(nodeTest.afterEach);
export default test;
