import { Command } from 'commander';
import { migrate } from '../db/migrations.ts';
import { openDatabase } from '../db/database.ts';
import { isState } from '../domain/states.ts';
import { publicStack } from '../http/routes/stacks.ts';
import { configFromCommand, runtimeFromCommand } from './runtime-from-cli.ts';
import { join, resolve } from 'node:path';

function print(value: unknown, json: boolean): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else if (Array.isArray(value)) {
    for (const s of value as Array<ReturnType<typeof publicStack>>) {
      console.log([s.id, s.state.padEnd(15), s.lab, s.learner, s.context, s.provider ?? '-', s.error ?? ''].join('  '));
    }
  } else console.log(value);
}

export function stacksCommand(): Command {
  const stacks = new Command('stacks').description('Inspect and act on stacks (talks to the store directly)');
  // Every subcommand opens the runtime (store, labs, providers) without a worker, acts, prints, closes.
  type Runtime = Awaited<ReturnType<typeof runtimeFromCommand>>;
  type Opts = { state?: string; lab?: string; learner?: string; json?: boolean };
  const withRuntime = (fn: (rt: Runtime, opts: Opts, ...args: string[]) => Promise<unknown>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const opts = command.opts() as Opts;
      const rt = await runtimeFromCommand(command.parent!, { worker: false });
      try {
        print(await fn(rt, opts, ...(args.slice(0, -2) as string[])), Boolean(opts.json));
      } finally {
        await rt.close();
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
      withRuntime(async (rt, opts) => {
        const states = opts.state?.split(',') ?? [];
        const bad = states.filter((s) => !isState(s));
        if (bad.length) throw new Error(`unknown state ${bad.join(', ')}`);
        return (await rt.ctx.stacks.list({ state: states.filter(isState), lab: opts.lab, learner: opts.learner, limit: 1000 })).map((s) => publicStack(s, rt.ctx.labs.get(s.lab)));
      }),
    );
  stacks.command('show <id>').description('Show one stack and its history').option('--json').action(
    withRuntime(async (rt, _opts, id) => ({ ...publicStack(await rt.ctx.stacks.get(id!)), events: await rt.ctx.stacks.events(id!) })),
  );
  stacks.command('suspend <id>').description('Request a suspend').option('--json').action(withRuntime(async (rt, _opts, id) => publicStack(await rt.ctx.stacks.requestSuspend(id!, 'cli'))));
  stacks.command('resume <id>').description('Request a resume').option('--json').action(withRuntime(async (rt, _opts, id) => publicStack(await rt.ctx.stacks.requestResume(id!, 'cli'))));
  stacks.command('delete <id>').description('Request a delete').option('--json').action(withRuntime(async (rt, _opts, id) => publicStack(await rt.ctx.stacks.requestDelete(id!, 'cli'))));
  return stacks;
}

export function migrateCommand(): Command {
  return new Command('migrate').description('Apply database migrations and exit').action(async (_opts: unknown, command: Command) => {
    const { config } = configFromCommand(command);
    const db = await openDatabase({ url: config.database_url, dataDir: join(resolve(config.data_dir), 'pglite') });
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'the database is up to date');
    } finally {
      await db.close();
    }
  });
}
