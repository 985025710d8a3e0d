/** Shared start-up for commands: config from env + file, then the runtime, with errors in plain words. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Runtime } from '../app/create-context.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { StoreLockedError, storeLockHolder } from '../db/store-lock.ts';
import { ApiClient } from './api-client.ts';
import { readServerFile } from './server-file.ts';

export function configFromCommand(command: Command, overrides: Record<string, unknown> = {}) {
  let root = command;
  while (root.parent) root = root.parent;
  const file = (root.opts() as { config?: string }).config;
  try {
    return loadConfig({ file, overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

export async function runtimeFromCommand(command: Command, overrides: Record<string, unknown> = {}): Promise<Runtime> {
  const { config, providerEntries, lti } = configFromCommand(command, overrides);
  // Loaded on use: the whole server is behind it, and `stacklab --help` must not wait for it.
  const { createRuntime } = await import('../app/create-context.ts');
  return createRuntime({ config, providerEntries, ltiConfig: lti });
}

/** How a command reaches the stacks: a running server's API, or the store itself when nobody holds it. */
export type StoreRoute = { kind: 'api'; client: ApiClient } | { kind: 'direct' };

/**
 * `--url`/STACKLAB_URL: that server. Otherwise, on the embedded store, the local server that holds it (it
 * wrote data/server.json when it started); a store held by anything else is refused with the holder's
 * name. PostgreSQL takes many processes at once, so without a URL the CLI opens it directly.
 */
export function storeRoute(command: Command, given: { url?: string; token?: string }): StoreRoute {
  const { config } = configFromCommand(command);
  const dataDir = resolve(config.data_dir);
  const token = () => {
    const file = join(dataDir, 'api-token');
    const found = given.token ?? config.api_token ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
    if (!found) throw new Error('no API token to send to the server: pass --token or set STACKLAB_API_TOKEN to the token the server uses');
    return found;
  };
  const url = given.url ?? process.env.STACKLAB_URL;
  if (url) return { kind: 'api', client: new ApiClient(url, token()) };
  if (config.database_url) return { kind: 'direct' };
  const folder = join(dataDir, 'pglite');
  const holder = storeLockHolder(folder);
  if (!holder) return { kind: 'direct' };
  const server = readServerFile(dataDir);
  if (server && server.pid === holder.pid && server.hostname === holder.hostname) return { kind: 'api', client: new ApiClient(server.url, token()) };
  throw new StoreLockedError(folder, holder);
}
