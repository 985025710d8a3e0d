/**
 * The browser code, served under /assets/. From the build (`npm run build`) the server serves dist/web as
 * it is and writes nothing; run from the sources (tests, development) it bundles web/*.ts with esbuild
 * once per process, in memory, so a checkout is never written to while it runs.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FROM_SOURCE } from '../infra/install-root.ts';
import { WEB_BUILD_DIR, webBundleOptions } from './web-bundle.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The bundle made from the sources, by file name; empty when serving the build. */
const inMemory = new Map<string, Uint8Array>();
/** The names of the assets there are, known once buildWebAssets has resolved: pages ask per request. */
const assetNames = new Set<string>();
let building: Promise<string[]> | undefined;

/** Makes the assets ready: bundles from the sources, or checks the build has them. Resolves with their names. */
export function buildWebAssets(): Promise<string[]> {
  building ??= FROM_SOURCE ? bundleInMemory() : checkBuilt();
  building.catch(() => (building = undefined));
  return building;
}

async function bundleInMemory(): Promise<string[]> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ ...webBundleOptions(join(WEB_BUILD_DIR, 'memory')), write: false });
  for (const file of result.outputFiles) inMemory.set(basename(file.path), file.contents);
  return known([...inMemory.keys()]);
}

async function checkBuilt(): Promise<string[]> {
  if (!existsSync(join(WEB_BUILD_DIR, 'lab-page.js'))) {
    throw new Error(`web assets: ${WEB_BUILD_DIR} has no lab-page.js; run \`npm run build\` in the stacklab folder (or reinstall the package)`);
  }
  return known(await readdir(WEB_BUILD_DIR));
}

function known(names: string[]): string[] {
  for (const name of names) assetNames.add(name);
  return names;
}

export function hasAsset(name: string): boolean {
  return assetNames.has(name);
}

async function readAsset(name: string): Promise<Uint8Array> {
  const held = inMemory.get(name);
  if (held) return held;
  if (FROM_SOURCE) throw new Error(`no asset ${name}`);
  return readFile(join(WEB_BUILD_DIR, name));
}

export function staticAssets() {
  return async function staticPlugin(app: FastifyInstance): Promise<void> {
    await buildWebAssets();
    app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
      const { name } = request.params;
      const type = TYPES[extname(name)];
      if (!/^[\w.-]+$/.test(name) || name.startsWith('.') || !type) return reply.status(404).send({ code: 'NOT_FOUND', message: 'Not found.' });
      try {
        const body = await readAsset(name);
        return reply.header('content-type', type).header('cache-control', 'no-cache').send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      } catch {
        return reply.status(404).send({ code: 'NOT_FOUND', message: 'Not found.' });
      }
    });
  };
}
