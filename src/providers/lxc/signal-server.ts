/**
 * The wait-condition endpoint labs call (`curl_cli` of OS::Heat::WaitConditionHandle). It listens
 * only on the host end of the public range, the one host address labs may reach, and accepts
 * signals only for tokens of live stacks. Signals are appended to files, so whichever stacklab
 * process holds the port serves every process's stacks.
 */
import { createServer, type Server } from 'node:http';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const servers = new Map<string, Promise<Server | null>>();

export function signalsDir(dataDir: string): string {
  return join(dataDir, 'signals');
}

export async function registerToken(dataDir: string, token: string): Promise<void> {
  mkdirSync(signalsDir(dataDir), { recursive: true, mode: 0o700 });
  await writeFile(join(signalsDir(dataDir), token), '', { flag: 'a', mode: 0o600 });
}

export async function forgetToken(dataDir: string, token: string): Promise<void> {
  await rm(join(signalsDir(dataDir), token), { force: true });
}

export interface Signal {
  status: string;
  reason: string;
  data: unknown;
  id: string;
}

export async function readSignals(dataDir: string, token: string): Promise<Signal[]> {
  const text = await readFile(join(signalsDir(dataDir), token), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Signal);
}

/** Starts the endpoint if no process serves it yet; resolves to null when another process does. */
export function ensureSignalServer(dataDir: string, host: string, port: number): Promise<Server | null> {
  const key = `${host}:${port}`;
  const existing = servers.get(key);
  if (existing) return existing;
  const started = new Promise<Server | null>((resolve) => {
    const server = createServer((req, res) => {
      const m = /^\/signal\/([0-9a-f]{16,64})$/.exec(req.url ?? '');
      const file = m ? join(signalsDir(dataDir), m[1]) : '';
      if (req.method !== 'POST' || !m || !existsSync(file)) {
        res.writeHead(404).end('not found\n');
        return;
      }
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
        if (body.length > 65536) req.destroy();
      });
      req.on('end', async () => {
        let parsed: Record<string, unknown>;
        try {
          parsed = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
        } catch {
          res.writeHead(400).end('body must be JSON\n');
          return;
        }
        const previous = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
        const signal: Signal = {
          status: String(parsed.status ?? 'SUCCESS').toUpperCase(),
          reason: String(parsed.reason ?? 'Signal received'),
          data: parsed.data ?? null,
          id: String(parsed.id ?? previous + 1),
        };
        await appendFile(file, JSON.stringify(signal) + '\n');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}\n');
      });
    });
    server.on('error', () => {
      servers.delete(key);
      resolve(null);
    });
    server.listen(port, host, () => {
      server.unref();
      resolve(server);
    });
  });
  servers.set(key, started);
  return started;
}

export async function closeSignalServers(): Promise<void> {
  for (const [key, p] of servers) {
    servers.delete(key);
    const s = await p;
    await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
  }
}
