// `npm run build`: the server and the CLI bundled by esbuild into dist/ (one module graph, split at the
// dynamic imports so `stacklab --help` does not load the server), the browser code into dist/web, then
// the stamp that says the build is complete. npm dependencies stay outside the bundle (installed beside it).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { INSTALL_ROOT } from '../src/infra/install-root.ts';
import { WEB_BUILD_DIR, webBundleOptions } from '../src/http/web-bundle.ts';
import { writeStoreSeed } from '../src/db/store-seed.ts';

const DIST = join(INSTALL_ROOT, 'dist');
const started = performance.now();
rmSync(DIST, { recursive: true, force: true });
await build({
  entryPoints: { main: join(INSTALL_ROOT, 'src/cli/main.ts') },
  outdir: DIST,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
});
const web = await build(webBundleOptions(WEB_BUILD_DIR));
mkdirSync(DIST, { recursive: true });
// An empty store with every migration applied: a deployment's first start loads it (src/db/store-seed.ts).
await writeStoreSeed(join(DIST, 'store-seed.tar.gz'));
writeFileSync(join(DIST, '.built'), new Date().toISOString() + '\n');
console.log(`built dist/ (server, CLI, a migrated store seed) and dist/web (${Object.keys(web.metafile.outputs).length} files) in ${Math.round(performance.now() - started)} ms`);
