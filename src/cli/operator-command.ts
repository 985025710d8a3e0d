/**
 * `stacklab operator add|list|remove|passwd`: the staff console's named accounts (docs/console.md). They
 * open the store directly, as `migrate` does: on PostgreSQL beside running servers; on the embedded store
 * only while no server holds it (the error names the holder).
 * A password is never an argument (it would sit in the shell history and in `ps`): it is typed twice at a
 * terminal, or read as the first line of standard input (`--password-stdin`) for scripts.
 */
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrations.ts';
import type { Operator } from '../db/operator-store.ts';
import { systemClock } from '../infra/clock.ts';
import { OperatorAccounts } from '../services/operator-accounts.ts';
import { formatOf, render, table, withFormat, type Column } from './output.ts';
import { configFromCommand } from './runtime-from-cli.ts';

const OPERATOR_COLUMNS: Column<Operator>[] = [
  { header: 'NAME', value: (o) => o.name },
  { header: 'CREATED', value: (o) => o.createdAt },
  { header: 'PASSWORD SET', value: (o) => o.updatedAt },
];

async function withAccounts<T>(command: Command, fn: (accounts: OperatorAccounts) => Promise<T>): Promise<T> {
  const { config } = configFromCommand(command);
  const db = await openDatabase({ url: config.database_url, dataDir: join(resolve(config.data_dir), 'pglite') });
  try {
    await migrate(db);
    return await fn(new OperatorAccounts(db, systemClock, config.operator_session_ttl));
  } finally {
    await db.close();
  }
}

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}

/** Reads a line at the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolvePrompt, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    let typed = '';
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          process.stderr.write('\n');
          return resolvePrompt(typed);
        }
        if (ch === '\u0003') {
          input.setRawMode(false);
          input.off('data', onData);
          return reject(new Error('cancelled'));
        }
        typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch;
      }
    };
    input.on('data', onData);
  });
}

async function newPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) return readStdinLine();
  const first = await promptHidden('Password (12 characters or more): ');
  const second = await promptHidden('The same password again: ');
  if (first !== second) throw new Error('the two passwords differ: nothing was changed; run the command again');
  return first;
}

/** A subcommand that takes a new password (add, passwd): asked for, or read with --password-stdin. */
function withNewPassword(parent: Command, usage: string, description: string, change: (accounts: OperatorAccounts, name: string, password: string) => Promise<unknown>, done: (name: string) => string): void {
  parent
    .command(usage)
    .description(description)
    .option('--password-stdin', 'read the password as the first line of standard input')
    .action(async (name: string, opts: { passwordStdin?: boolean }, command: Command) => {
      const password = await newPassword(Boolean(opts.passwordStdin));
      await withAccounts(command, (accounts) => change(accounts, name, password));
      console.log(done(name));
    });
}

export function operatorCommand(): Command {
  const operator = new Command('operator').description('Manage the staff console\'s operator accounts (docs/console.md)');
  withNewPassword(
    operator,
    'add <name>',
    'Create an operator account; the password is asked for (or read from standard input)',
    (accounts, name, password) => accounts.add(name, password),
    (name) => `operator ${name} added; they sign in at /console`,
  );
  withFormat(operator.command('list'))
    .description('List the operator accounts')
    .action(async (opts: { format?: string; json?: boolean }, command: Command) => {
      const operators = await withAccounts(command, (accounts) => accounts.list());
      const format = formatOf(opts);
      if (operators.length === 0 && format === 'table') console.log('no operators yet: add one with `stacklab operator add <name>`');
      else console.log(await render(operators, format, () => table(operators, OPERATOR_COLUMNS)));
    });
  operator
    .command('remove <name>')
    .description('Remove an operator account; their sessions end at once')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withAccounts(command, (accounts) => accounts.remove(name));
      console.log(`operator ${name} removed`);
    });
  withNewPassword(
    operator,
    'passwd <name>',
    "Set an operator's password; their sessions end at once",
    (accounts, name, password) => accounts.setPassword(name, password),
    (name) => `password of ${name} changed; their sessions were ended`,
  );
  return operator;
}
