/**
 * The browser code: web/*.ts bundled by esbuild into web/dist (once per process, at start), served under
 * /assets/. Where esbuild is absent (a production install without dev dependencies) a web/dist built
 * beforehand (`node --import tsx src/http/static.ts`) is served as it is.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../web');
export const DIST_DIR = join(WEB_DIR, 'dist');

/** Pages and modules; progress-check.ts is added by the checks module when it exists. */
const ENTRIES = ['lab-page.ts', 'demo-page.ts', 'progress-check.ts', 'console-page.ts', 'class-page.ts'];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

let building: Promise<string[]> | undefined;

/** Bundles the entries that exist; resolves with the names of the emitted files. */
export function buildWebAssets(): Promise<string[]> {
  building ??= (async () => {
    let esbuild: typeof import('esbuild');
    try {
      esbuild = await import('esbuild');
    } catch {
      if (existsSync(join(DIST_DIR, 'lab-page.js'))) return [];
      throw new Error('web assets: esbuild is not installed and web/dist is missing; run `npm install` (with dev dependencies)');
    }
    const entryPoints = ENTRIES.map((e) => join(WEB_DIR, e)).filter((p) => existsSync(p));
    const result = await esbuild.build({
      entryPoints,
      outdir: DIST_DIR,
      bundle: true,
      format: 'esm',
      target: ['chrome110', 'firefox115', 'safari16'],
      minify: true,
      sourcemap: true,
      metafile: true,
      logLevel: 'silent',
      loader: { '.woff2': 'file', '.png': 'file', '.svg': 'file' },
    });
    return Object.keys(result.metafile.outputs).map((p) => p.split('/').pop() ?? p);
  })();
  building.catch(() => (building = undefined));
  return building;
}

export function hasAsset(name: string): boolean {
  return existsSync(join(DIST_DIR, name));
}

export function staticAssets() {
  return async function staticPlugin(app: FastifyInstance): Promise<void> {
    await buildWebAssets();
    app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
      const { name } = request.params;
      const type = TYPES[extname(name)];
      if (!/^[\w.-]+$/.test(name) || name.startsWith('.') || !type) return reply.status(404).send({ code: 'NOT_FOUND', message: 'Not found.' });
      try {
        const body = await readFile(join(DIST_DIR, name));
        return reply.header('content-type', type).header('cache-control', 'no-cache').send(body);
      } catch {
        return reply.status(404).send({ code: 'NOT_FOUND', message: 'Not found.' });
      }
    });
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildWebAssets();
  console.log(`built ${files.length} files into ${DIST_DIR}`);
}
