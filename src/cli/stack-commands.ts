import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { isState } from '../domain/states.ts';
import { apiStackAccess, directStackAccess, type StackAccess, type StackView } from './stack-access.ts';
import { configFromCommand, runtimeFromCommand, storeRoute } from './runtime-from-cli.ts';

function print(value: unknown, json: boolean): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else if (Array.isArray(value)) {
    for (const s of value as StackView[]) {
      console.log([s.id, s.state.padEnd(15), s.lab, s.learner, s.context, s.provider ?? '-', s.error ?? ''].join('  '));
    }
  } else console.log(value);
}

export function stacksCommand(): Command {
  const stacks = new Command('stacks')
    .description('Inspect and act on stacks: through a running server (--url, or the local server on the embedded store), else on the store directly')
    .option('--url <url>', 'a running stacklab server to act through, like http://localhost:8080 (also STACKLAB_URL)')
    .option('--token <token>', "the server's API token (also STACKLAB_API_TOKEN; default: the one generated into the data folder)");
  type Opts = { state?: string; lab?: string; learner?: string; json?: boolean };
  // Every subcommand finds its way to the stacks (the API, or the store without a worker), acts, prints, closes.
  const withStacks = (fn: (access: StackAccess, opts: Opts, ...args: string[]) => Promise<unknown>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const opts = command.opts() as Opts;
      const route = storeRoute(command, stacks.opts() as { url?: string; token?: string });
      const access = route.kind === 'api' ? apiStackAccess(route.client) : directStackAccess(await runtimeFromCommand(command, { worker: false }));
      try {
        print(await fn(access, opts, ...(args.slice(0, -2) as string[])), Boolean(opts.json));
      } finally {
        await access.close();
      }
    };
  stacks
    .command('list')
    .description('List stacks')
    .option('--state <states>', 'comma-separated states')
    .option('--lab <lab>')
    .option('--learner <learner>')
    .option('--json', 'print JSON')
    .action(
      withStacks(async (access, opts) => {
        const states = opts.state?.split(',') ?? [];
        const bad = states.filter((s) => !isState(s));
        if (bad.length) throw new Error(`unknown state ${bad.join(', ')}`);
        return access.list({ state: states.filter(isState), lab: opts.lab, learner: opts.learner });
      }),
    );
  stacks.command('show <id>').description('Show one stack and its history').option('--json').action(withStacks((access, _opts, id) => access.show(id!)));
  stacks.command('suspend <id>').description('Request a suspend').option('--json').action(withStacks((access, _opts, id) => access.suspend(id!)));
  stacks.command('resume <id>').description('Request a resume').option('--json').action(withStacks((access, _opts, id) => access.resume(id!)));
  stacks.command('delete <id>').description('Request a delete').option('--json').action(withStacks((access, _opts, id) => access.delete(id!)));
  return stacks;
}

export function migrateCommand(): Command {
  return new Command('migrate').description('Apply database migrations and exit').action(async (_opts: unknown, command: Command) => {
    const { config } = configFromCommand(command);
    const [{ openDatabase }, { migrate }] = await Promise.all([import('../db/database.ts'), import('../db/migrations.ts')]);
    const db = await openDatabase({ url: config.database_url, dataDir: join(resolve(config.data_dir), 'pglite') });
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'the database is up to date');
    } finally {
      await db.close();
    }
  });
}
