#!/usr/bin/env node
// The command runs the build in dist/ (`npm run build`; an installed package ships it). In a checkout whose
// build is missing or older than its sources, and under the test runner (STACKLAB_FROM_SOURCE=1), it runs
// the TypeScript sources through tsx instead, so a fresh clone and the tests always run the code as it is.
// STACKLAB_FROM_SOURCE=0 runs the build even when it is older (the start-up benchmark measures it so).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const checkout = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const chosen = process.env.STACKLAB_FROM_SOURCE;
const fromSource = checkout && chosen !== '0' && (chosen === '1' || (await import('../scripts/build-freshness.mjs')).buildIsStale(root));
let main;
if (fromSource) {
  if (process.env.STACKLAB_FROM_SOURCE !== '1' && process.stderr.isTTY) console.error('stacklab: running the sources through tsx (dist/ is missing or older); `npm run build` makes it start fast');
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  ({ main } = await import('../dist/main.js'));
}
await main(process.argv);
