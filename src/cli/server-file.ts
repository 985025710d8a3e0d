/**
 * `<data_dir>/server.json`: where a server on the embedded store can be reached, so that the CLI on the
 * same machine acts through it instead of opening the store the server holds. It holds no secret (the
 * token stays in api-token), but is owner-only like everything else in the data folder.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface ServerFile {
  url: string;
  pid: number;
  hostname: string;
  startedAt: string;
}

const fileIn = (dataDir: string) => join(dataDir, 'server.json');

/** The URL the CLI on this machine uses: a wildcard listen address is reached through loopback. */
export function localUrl(host: string, address: AddressInfo): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const shown = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${address.port}`;
}

export function writeServerFile(dataDir: string, url: string): ServerFile {
  const entry = { url, pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  writeFileSync(fileIn(dataDir), JSON.stringify(entry, null, 2) + '\n', { mode: 0o600 });
  return entry;
}

export function readServerFile(dataDir: string): ServerFile | null {
  try {
    const parsed = JSON.parse(readFileSync(fileIn(dataDir), 'utf8')) as Partial<ServerFile>;
    return typeof parsed.url === 'string' && typeof parsed.pid === 'number' ? (parsed as ServerFile) : null;
  } catch {
    return null;
  }
}

/** Removes the file only when this process wrote it: a newer server's entry stays. */
export function removeServerFile(dataDir: string): void {
  if (readServerFile(dataDir)?.pid === process.pid) rmSync(fileIn(dataDir), { force: true });
}
