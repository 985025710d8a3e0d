/** Module resolve hook (see test-timeouts.mjs): `node:test` imported from a test file -> the wrapper. */
const WRAPPER = new URL('./node-test-timeouts.mjs', import.meta.url).href;
const TEST_DIR = new URL('../', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'node:test' && context.parentURL?.startsWith(TEST_DIR) && context.parentURL !== WRAPPER) {
    return { url: WRAPPER, shortCircuit: true };
  }
  return next(specifier, context);
}
