import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import { isLoopbackHost } from '../domain/loopback.ts';
import { configFromCommand } from './runtime-from-cli.ts';
import { localUrl, removeServerFile, writeServerFile } from './server-file.ts';

/** An API token generated once into the data folder, so restarts keep the same one. */
function ensureApiToken(dataDir: string): { token: string; generated: boolean } {
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, generated: true };
}

/**
 * The warning `serve` logs at start when public_url is unset and the server listens beyond loopback:
 * the LTI redirect URI and tool URLs are then built from each request's Host header (and, with
 * trust_proxy, X-Forwarded-Host), which whoever reaches the server chooses.
 */
export function publicUrlWarning(config: { public_url?: string; host: string }): string | undefined {
  if (config.public_url || isLoopbackHost(config.host)) return undefined;
  return `public_url is unset while listening on ${config.host}: LTI URLs are built from each request's Host header; set STACKLAB_PUBLIC_URL to the address platforms use.`;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the HTTP server (and, unless STACKLAB_WORKER=false, a worker, the sweeps and LTI grade delivery in the same process)')
    .option('--demo', 'serve the demo course page with name sign-in')
    .option('--no-worker', 'do not run a worker in this process')
    .action(async (opts: { demo?: boolean; worker: boolean }, command: Command) => {
      const overrides: Record<string, unknown> = {};
      if (opts.demo) overrides.demo = true;
      if (!opts.worker) overrides.worker = false;
      const loaded = configFromCommand(command, overrides);
      const { config } = loaded;
      if (!config.api_token) {
        const { token, generated } = ensureApiToken(config.data_dir);
        config.api_token = token;
        console.log(`${generated ? 'Generated' : 'Using'} the API token in ${join(config.data_dir, 'api-token')} (set STACKLAB_API_TOKEN to choose one)`);
      }
      // The server is loaded when it is asked for, so that other commands and --help start fast.
      const [{ createRuntime }, { buildApp }] = await Promise.all([import('../app/create-context.ts'), import('../http/app.ts')]);
      const runtime = await createRuntime({ config, providerEntries: loaded.providerEntries, ltiConfig: loaded.lti });
      const { ctx } = runtime;
      for (const notice of ctx.notices) ctx.logger.warn(notice);
      const publicUrl = publicUrlWarning(config);
      if (publicUrl) ctx.logger.warn(publicUrl);
      const app = await buildApp(ctx);
      if (config.worker) runtime.startJobs();
      const address = await app.listen({ port: config.port, host: config.host });
      // This process holds the embedded store: tell the CLI on this machine where to find it instead.
      if (ctx.db.kind === 'pglite') writeServerFile(config.data_dir, localUrl(config.host, app.server.address() as AddressInfo));
      const labs = ctx.labs.list().map((l) => l.id);
      ctx.logger.info(
        { store: ctx.db.kind, deployment: ctx.deployment, providers: ctx.providers.list().map((p) => `${p.name} (${p.kind})`), labs, demo: config.demo },
        `stacklab listening on ${address}${config.demo ? ` — demo course at ${address}/` : ''}; API docs at ${address}/docs`,
      );
      const stop = async () => {
        removeServerFile(config.data_dir);
        await app.close();
        await runtime.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run a worker, the sweeps and LTI grade delivery without the HTTP server (run several against one PostgreSQL)')
    .action(async (_opts: unknown, command: Command) => {
      const loaded = configFromCommand(command);
      if (!loaded.config.database_url) console.warn('Note: without DATABASE_URL this worker holds the embedded store in the data folder, which one process at a time may open; point the server and several workers at one PostgreSQL to share work.');
      const [{ createRuntime }, { serveMetrics }] = await Promise.all([import('../app/create-context.ts'), import('../http/metrics-server.ts')]);
      const runtime = await createRuntime({ config: loaded.config, providerEntries: loaded.providerEntries, ltiConfig: loaded.lti });
      runtime.startJobs();
      const metricsPort = loaded.config.worker_metrics_port;
      const metrics = metricsPort ? await serveMetrics(runtime.ctx, loaded.config.host, metricsPort) : null;
      runtime.ctx.logger.info({ deployment: runtime.ctx.deployment, providers: runtime.ctx.providers.list().map((p) => p.name), metricsPort: metrics?.port ?? null }, 'worker started');
      const stop = async () => {
        await metrics?.close();
        await runtime.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
