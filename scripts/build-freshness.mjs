// Whether a checkout's build (dist/) is older than the sources it is made from. `npm start` builds first
// when it is (prestart), and bin/stacklab.js runs the sources instead of a stale build. Plain JavaScript:
// it runs before anything is built and must cost milliseconds (a few hundred stat calls).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The file `npm run build` writes last: its time is the build's time. */
export const BUILD_STAMP = 'dist/.built';
const INPUTS = ['src', 'web', 'package.json', 'scripts/build.ts'];

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) if (entry !== 'dist') latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

export function buildIsStale(root) {
  const stamp = statSync(join(root, BUILD_STAMP), { throwIfNoEntry: false });
  return !stamp || INPUTS.some((input) => newest(join(root, input)) > stamp.mtimeMs);
}

// `node scripts/build-freshness.mjs --build`: build when stale (prestart), say nothing when fresh.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--build')) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(join(root, 'src')) || !buildIsStale(root)) process.exit(0);
  const built = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/build.ts')], { stdio: 'inherit', cwd: root });
  process.exit(built.status ?? 1);
}
