import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { isState } from '../domain/states.ts';
import type { CheckAnswer, StackAccess, StackView, StackWithEvents } from './stack-access.ts';
import { configFromCommand, runtimeFromCommand, storeRoute } from './runtime-from-cli.ts';
import { fields, formatOf, render, table, withFormat, type Column } from './output.ts';

const STACK_COLUMNS: Column<StackView>[] = [
  { header: 'ID', value: (s) => s.id },
  { header: 'STATE', value: (s) => s.state },
  { header: 'LAB', value: (s) => s.lab },
  { header: 'LEARNER', value: (s) => s.learner },
  { header: 'CONTEXT', value: (s) => s.context },
  { header: 'PROVIDER', value: (s) => s.provider },
  { header: 'ERROR', value: (s) => s.error },
];

const EVENT_COLUMNS: Column<Record<string, unknown>>[] = [
  { header: 'AT', value: (e) => e.at },
  { header: 'FROM', value: (e) => e.fromState },
  { header: 'TO', value: (e) => e.toState },
  { header: 'ACTOR', value: (e) => e.actor },
  { header: 'REASON', value: (e) => e.reason },
];

const SHOWN_FIELDS = ['id', 'state', 'lab', 'learner', 'context', 'run', 'provider', 'providerStackName', 'publicIp', 'error', 'errorCode', 'lastActivityAt', 'suspendAt', 'deleteBy', 'stateChangedAt', 'createdAt'];

function stackTable(value: StackView | StackView[] | StackWithEvents): string {
  if (Array.isArray(value)) return table(value, STACK_COLUMNS);
  const shown = fields(value, SHOWN_FIELDS.filter((k) => k in value));
  const events = 'events' in value ? `\n\nHISTORY\n${table(value.events as Record<string, unknown>[], EVENT_COLUMNS)}` : '';
  return shown + events;
}

function checkTable({ joined, run }: CheckAnswer): string {
  const head = fields({ run: run.id, status: run.status, joined, passed: run.total == null ? null : `${run.passed}/${run.total}`, score: run.score, error: run.error });
  if (!run.results?.length) return head;
  return `${head}\n\n${table(run.results, [
    { header: 'CHECK', value: (r) => r.title },
    { header: 'RESULT', value: (r) => (r.timedOut ? 'timed out' : r.passed ? 'passed' : 'failed') },
    { header: 'SERVER', value: (r) => r.server },
    { header: 'HINT', value: (r) => r.hint },
  ])}`;
}

export function stacksCommand(): Command {
  const stacks = new Command('stacks')
    .description('Inspect and act on stacks: through a running server (--url, or the local server on the embedded store), else on the store directly')
    .option('--url <url>', 'a running stacklab server to act through, like http://localhost:8080 (also STACKLAB_URL)')
    .option('--token <token>', "the server's API token (also STACKLAB_API_TOKEN; default: the one generated into the data folder)");
  type Opts = { state?: string; lab?: string; learner?: string; context?: string; run?: string; json?: boolean; format?: string; yes?: boolean; wait: boolean };
  // Every subcommand finds its way to the stacks (the API, or the store without a worker), acts, prints, closes.
  const withStacks =
    <T>(fn: (access: StackAccess, opts: Opts, ...args: string[]) => Promise<T>, asTable: (value: T) => string = stackTable as (value: T) => string) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const opts = command.opts() as Opts;
      const format = formatOf(opts);
      const route = storeRoute(command, stacks.opts() as { url?: string; token?: string });
      // Loaded on use, with the store behind it, so that `stacklab --help` stays fast.
      const { apiStackAccess, directStackAccess } = await import('./stack-access.ts');
      const access = route.kind === 'api' ? apiStackAccess(route.client) : directStackAccess(await runtimeFromCommand(command, { worker: false }));
      try {
        const value = await fn(access, opts, ...(args.slice(0, -2) as string[]));
        console.log(await render(value, format, () => asTable(value)));
      } finally {
        await access.close();
      }
    };
  withFormat(
    stacks
      .command('list')
      .description('List stacks')
      .option('--state <states>', 'comma-separated states')
      .option('--lab <lab>')
      .option('--learner <learner>'),
  ).action(
    withStacks(async (access, opts) => {
      const states = opts.state?.split(',') ?? [];
      const bad = states.filter((s) => !isState(s));
      if (bad.length) throw new Error(`unknown state ${bad.join(', ')}`);
      return access.list({ state: states.filter(isState), lab: opts.lab, learner: opts.learner });
    }),
  );
  withFormat(stacks.command('show <id>').description('Show one stack and its history')).action(withStacks((access, _opts, id) => access.show(id!)));
  withFormat(
    stacks
      .command('launch')
      .description("Launch (or resume) a learner's stack of a lab in a context; idempotent")
      .requiredOption('--lab <lab>', 'the lab id')
      .requiredOption('--learner <learner>', 'the learner')
      .requiredOption('--context <context>', 'the course or context the stack belongs to')
      .option('--run <run>', 'the course run'),
  ).action(withStacks((access, opts) => access.launch({ lab: opts.lab!, learner: opts.learner!, context: opts.context!, ...(opts.run ? { run: opts.run } : {}) })));
  withFormat(stacks.command('suspend <id>').description('Request a suspend')).action(withStacks((access, _opts, id) => access.suspend(id!)));
  withFormat(stacks.command('resume <id>').description('Request a resume')).action(withStacks((access, _opts, id) => access.resume(id!)));
  withFormat(stacks.command('delete <id>').description('Request a delete')).action(withStacks((access, _opts, id) => access.delete(id!)));
  withFormat(stacks.command('reset <id>').description("Delete the learner's servers and launch them again from the template (their work is lost)").option('--yes', 'confirm the reset')).action(
    withStacks((access, opts, id) => {
      if (!opts.yes) throw new Error(`reset deletes every server of stack ${id} and the learner's work on them; run it again with --yes to confirm`);
      return access.reset(id!);
    }),
  );
  withFormat(
    stacks
      .command('check <id>')
      .description("Run the stack's progress checks (or join the run under way) and print the result")
      .option('--no-wait', 'through a server: print the run as started instead of waiting for its result'),
  ).action(withStacks((access, opts, id) => access.check(id!, opts.wait), checkTable));
  return stacks;
}

export function migrateCommand(): Command {
  return new Command('migrate').description('Apply database migrations and exit').action(async (_opts: unknown, command: Command) => {
    const { config } = configFromCommand(command);
    const dataDir = join(resolve(config.data_dir), 'pglite');
    const [{ openDatabase }, { migrate }, { backupBeforeMigrations }] = await Promise.all([import('../db/database.ts'), import('../db/migrations.ts'), import('../db/store-backup.ts')]);
    const db = await openDatabase({ url: config.database_url, dataDir });
    try {
      const copy = await backupBeforeMigrations(db, dataDir);
      if (copy) console.log(`copied the store first, to roll back to: ${copy}`);
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'the database is up to date');
    } finally {
      await db.close();
    }
  });
}
