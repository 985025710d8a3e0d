/** `stacklab store backup|restore|list`: copies of the embedded store (src/db/store-backup.ts). */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { openDatabase } from '../db/database.ts';
import { MIGRATIONS } from '../db/migrations.ts';
import { backupEmbeddedStore, backupFolder, restoreEmbeddedStore } from '../db/store-backup.ts';
import { configFromCommand } from './runtime-from-cli.ts';

/** The embedded store's folder, or a clear refusal when the deployment runs on PostgreSQL. */
function embeddedStore(command: Command): string {
  const { config } = configFromCommand(command);
  if (config.database_url) {
    throw new Error(
      'this deployment keeps its store in PostgreSQL (database_url): back it up with pg_dump -Fc and restore with pg_restore (docs/operations.md, "Backups and upgrades")',
    );
  }
  return join(resolve(config.data_dir), 'pglite');
}

export function storeCommand(): Command {
  const store = new Command('store').description('Copies of the embedded store: backup, list, restore (PostgreSQL: use pg_dump)');
  store
    .command('backup')
    .description('Copy the embedded store into <data_dir>/backups (stop the server first: the store has one user at a time)')
    .action(async (_opts: unknown, command: Command) => {
      const dir = embeddedStore(command);
      const db = await openDatabase({ dataDir: dir });
      try {
        console.log(await backupEmbeddedStore(db, dir, 'manual'));
      } finally {
        await db.close();
      }
      console.log('The secrets in it need this deployment\'s key to be read: keep a copy of data/secret.key (or STACKLAB_SECRET_KEY) apart from it.');
    });
  store
    .command('list')
    .description('The copies in <data_dir>/backups, newest last')
    .action((_opts: unknown, command: Command) => {
      const folder = backupFolder(embeddedStore(command));
      let names: string[] = [];
      try {
        names = readdirSync(folder).filter((n) => n.endsWith('.tar.gz')).sort();
      } catch {
        // No folder yet: no copies.
      }
      if (names.length === 0) return void console.log(`no copies in ${folder}`);
      for (const name of names) console.log(`${join(folder, name)}  ${(statSync(join(folder, name)).size / 1e6).toFixed(1)} MB`);
    });
  store
    .command('restore <file>')
    .description('Put a copy back as the embedded store (stop the server and workers first); the current store is moved aside, not deleted')
    .action(async (file: string, _opts: unknown, command: Command) => {
      const restored = await restoreEmbeddedStore(resolve(file), embeddedStore(command));
      const newest = MIGRATIONS.at(-1)!.version;
      if (restored.previous) console.log(`the store that was there is kept at ${restored.previous}`);
      console.log(`restored ${file}: schema version ${restored.schemaVersion}`);
      if (restored.schemaVersion < newest) {
        console.log(`This release's schema is version ${newest}: start the release that wrote the copy to roll back, or start this one to migrate it again.`);
      }
    });
  return store;
}
