/**
 * `stacklab lti ...`: LTI platform registrations and the tool's keys, straight on the store.
 *   stacklab lti urls
 *   stacklab lti platforms list|add|remove
 *   stacklab lti keys list|rotate
 */
import { Command } from 'commander';
import type { Runtime } from '../app/create-context.ts';
import type { LtiModule } from '../lti/lti-module.ts';
import { platformInputSchema, type Platform } from '../lti/platforms.ts';
import { runtimeFromCommand } from './runtime-from-cli.ts';
import { formatOf, render, table, withFormat, type Column } from './output.ts';

type FormatOpts = { json?: boolean; format?: string };

async function print<T>(value: T | T[], opts: FormatOpts, columns: Column<T>[]): Promise<void> {
  console.log(await render(value, formatOf(opts), () => table(Array.isArray(value) ? value : [value], columns)));
}

const PLATFORM_COLUMNS: Column<Platform>[] = [
  { header: 'NAME', value: (p) => p.name },
  { header: 'ISSUER', value: (p) => p.issuer },
  { header: 'CLIENT ID', value: (p) => p.client_id },
  { header: 'DEPLOYMENTS', value: (p) => p.deployment_ids.join(',') },
  { header: 'SOURCE', value: (p) => p.source },
];

type ToolKey = { kid: string; status: string; signsFrom: Date; retireAt: Date | null };
const KEY_COLUMNS: Column<ToolKey>[] = [
  { header: 'KID', value: (k) => k.kid },
  { header: 'STATUS', value: (k) => k.status },
  { header: 'SIGNS FROM', value: (k) => k.signsFrom },
  { header: 'RETIRES', value: (k) => k.retireAt },
];

export function ltiCommand(): Command {
  const lti = new Command('lti').description('LTI 1.3: platform registrations and the tool keys');
  const withLti = async <T>(fn: (module: LtiModule, runtime: Runtime) => Promise<T>): Promise<T> => {
    const runtime = await runtimeFromCommand(lti, { worker: false });
    try {
      const module = runtime.ctx.lti;
      await module.platforms.syncFromConfig(module.settings.platforms);
      return await fn(module, runtime);
    } finally {
      await runtime.close();
    }
  };

  lti
    .command('urls')
    .description('Print the URLs to enter in an LMS (from public_url)')
    .action(async () => {
      await withLti(async (_m, runtime) => {
        const base = (runtime.ctx.config.public_url ?? `http://localhost:${runtime.ctx.config.port}`).replace(/\/$/, '');
        console.log(`Login initiation URL:  ${base}/lti/login`);
        console.log(`Launch / redirect URL: ${base}/lti/launch`);
        console.log(`Deep linking URL:      ${base}/lti/launch`);
        console.log(`Public keyset (JWKS):  ${base}/.well-known/jwks.json`);
        console.log('Custom parameter:      lab=<lab id>');
      });
    });

  const platforms = lti.command('platforms').description('Platform registrations (an LMS allowed to launch stacklab)');
  withFormat(platforms.command('list')).action(async (opts: FormatOpts) => {
    const list = await withLti((m) => m.platforms.list());
    if (!list.length && formatOf(opts) === 'table') console.log('no LTI platforms registered');
    else await print(list, opts, PLATFORM_COLUMNS);
  });
  withFormat(platforms
    .command('add <name>'))
    .description('Register a platform (or replace a registration made here or by the API)')
    .requiredOption('--issuer <url>', "the platform's issuer (iss)")
    .requiredOption('--client-id <id>', 'the client id the platform gave stacklab')
    .requiredOption('--deployment <ids...>', 'deployment id(s)')
    .requiredOption('--auth-login-url <url>', "the platform's OIDC authorization endpoint")
    .requiredOption('--token-url <url>', "the platform's OAuth 2 token endpoint")
    .requiredOption('--jwks-url <url>', "the platform's public keyset URL")
    .action(async (name: string, opts: FormatOpts & { issuer: string; clientId: string; deployment: string[]; authLoginUrl: string; tokenUrl: string; jwksUrl: string }) => {
      const parsed = platformInputSchema.safeParse({
        name,
        issuer: opts.issuer,
        client_id: opts.clientId,
        deployment_ids: opts.deployment,
        auth_login_url: opts.authLoginUrl,
        token_url: opts.tokenUrl,
        jwks_url: opts.jwksUrl,
      });
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      await print(await withLti((m) => m.platforms.put(parsed.data, 'api')), opts, PLATFORM_COLUMNS);
    });
  platforms
    .command('remove <name>')
    .action(async (name: string) => {
      const removed = await withLti((m) => m.platforms.remove(name));
      if (!removed) throw new Error(`no LTI platform ${name}`);
      console.log(`removed ${name}`);
    });

  const keys = lti.command('keys').description("The tool's signing keys (published at /.well-known/jwks.json)");
  withFormat(keys.command('list')).action(async (opts: FormatOpts) => {
    await print(await withLti(async (m) => (await m.toolKeys.signingKey(), m.toolKeys.list())), opts, KEY_COLUMNS);
  });
  withFormat(keys
    .command('rotate'))
    .description('Publish a new key now; it signs after --lead seconds and the old one is dropped --keep seconds later')
    .option('--lead <seconds>', 'seconds the new key is published before it signs', '86400')
    .option('--keep <seconds>', 'seconds the old key stays published after it stops signing', '604800')
    .action(async (opts: FormatOpts & { lead: string; keep: string }) => {
      const list = await withLti(async (m) => {
        await m.toolKeys.signingKey();
        await m.toolKeys.rotate({ publishLeadSeconds: Number(opts.lead), keepSeconds: Number(opts.keep) });
        return m.toolKeys.list();
      });
      await print(list, opts, KEY_COLUMNS);
    });
  return lti;
}
