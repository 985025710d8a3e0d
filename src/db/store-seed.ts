/**
 * A new embedded store made from the build's seed: `npm run build` writes an empty store with every
 * migration applied (dist/store-seed.tar.gz, shipped in the package), and the first start of a
 * deployment loads it instead of running PGlite's initdb and the migrations, which are most of a first
 * start (BENCHMARKS.md, "Start-up"). The seed holds no deployment id (db/deployment.ts makes one at the
 * first start), so every deployment made from it is its own. A seed older than the code is harmless:
 * the migrations it lacks are applied as usual. Runs from the sources use no seed (none is built there).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { FROM_SOURCE, INSTALL_ROOT } from '../infra/install-root.ts';
import { openPgliteOn } from './database.ts';
import { migrate } from './migrations.ts';

export const STORE_SEED = join(INSTALL_ROOT, 'dist', 'store-seed.tar.gz');

/** Writes the seed: a fresh in-memory store, migrated, dumped. */
export async function writeStoreSeed(file = STORE_SEED): Promise<void> {
  const engine = new PGlite();
  const db = await openPgliteOn(engine);
  try {
    await migrate(db);
    await engine.exec('CHECKPOINT');
    const dump = await engine.dumpDataDir('gzip');
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await db.close();
  }
}

/** The seed to make a store in `dataDir` from: only for a folder that holds no store yet, from the build. */
export function seedFor(dataDir: string, file = STORE_SEED, fromSource = FROM_SOURCE): Blob | undefined {
  if (fromSource || !existsSync(file)) return undefined;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return undefined;
  return new Blob([readFileSync(file)]);
}
