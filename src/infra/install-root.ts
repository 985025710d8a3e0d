/**
 * Where stacklab's own files are: the folder holding its package.json, found by walking up from this
 * module, which is src/infra/ in a checkout run through tsx and dist/ (or dist/chunks/) in the build. The
 * folders read at run time (locales/, labs/, dist/web/) are found from here, never from the working
 * directory, so an installed package works from any folder and needs no write access to its own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** True when this process runs the TypeScript sources (tests, `node --import tsx`), false from the build. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

interface Install {
  root: string;
  version: string;
}

function findInstall(start: string): Install {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'stacklab') return { root: dir, version: pkg.version };
    }
    if (dirname(dir) === dir) throw new Error(`stacklab's package.json is not above ${start}: the install is incomplete; reinstall stacklab`);
  }
}

// Read once per process: every `stacklab` invocation needs the root, and its --version the version.
const INSTALL = findInstall(import.meta.dirname);

export const INSTALL_ROOT = INSTALL.root;

/** The version in package.json, as `stacklab --version` prints it. */
export function packageVersion(): string {
  return INSTALL.version;
}
