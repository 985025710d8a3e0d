/**
 * How the browser code (web/*.ts) is bundled: one set of esbuild options for `npm run build` (written to
 * dist/web) and for a server run from the sources (kept in memory), so both serve the same files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { INSTALL_ROOT } from '../infra/install-root.ts';

export const WEB_SOURCE_DIR = join(INSTALL_ROOT, 'web');
/** Where `npm run build` puts the bundled browser code, which a built server serves. */
export const WEB_BUILD_DIR = join(INSTALL_ROOT, 'dist', 'web');

/** Pages and modules; progress-check.ts is added by the checks module when it exists. */
const ENTRIES = ['lab-page.ts', 'demo-page.ts', 'progress-check.ts', 'console-page.ts', 'class-page.ts'];

export function webBundleOptions(outdir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: ENTRIES.map((e) => join(WEB_SOURCE_DIR, e)).filter((p) => existsSync(p)),
    outdir,
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    loader: { '.woff2': 'file', '.png': 'file', '.svg': 'file' },
  };
}
