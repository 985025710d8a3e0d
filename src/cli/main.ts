/** `stacklab`: the command line. Each command lives in its own module; this file only mounts them. */
import { Command } from 'commander';
import { UserFacingError } from '../errors/user-facing-error.ts';
import { packageVersion } from '../infra/install-root.ts';
import { serveCommand, workerCommand } from './serve-command.ts';
import { labsCommand, validateCommand } from './lab-commands.ts';
import { poolsCommand } from './pool-commands.ts';
import { scheduleCommand } from './schedule-commands.ts';
import { migrateCommand, stacksCommand } from './stack-commands.ts';
import { storeCommand } from './store-commands.ts';
import { operatorCommand } from './operator-command.ts';
import { costReportCommand, usageCommand } from './usage-commands.ts';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('stacklab')
    .description('Lab environments on demand: OpenStack Heat templates on OpenStack or on the local LXC runtime.')
    .version(packageVersion(), '-V, --version', 'print the stacklab version')
    .option('-c, --config <file>', 'YAML config file (also STACKLAB_CONFIG)')
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(serveCommand());
  program.addCommand(workerCommand());
  program.addCommand(validateCommand());
  program.addCommand(labsCommand());
  program.addCommand(poolsCommand());
  program.addCommand(scheduleCommand());
  program.addCommand(stacksCommand());
  program.addCommand(usageCommand());
  program.addCommand(costReportCommand());
  program.addCommand(migrateCommand());
  program.addCommand(storeCommand());
  program.addCommand(operatorCommand());
  for (const extra of await optionalCommands()) program.addCommand(extra);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // An operator reads this: the sentence and, for a user-facing error, the log detail behind it.
    const detail = error instanceof UserFacingError && error.detail && error.detail !== error.message ? ` (${error.detail})` : '';
    console.error(`stacklab: ${(error as Error).message}${detail}`);
    process.exitCode = process.exitCode || 1;
  }
}

/** Commands contributed by other modules (image build, lab CI, LTI registrations). */
async function optionalCommands(): Promise<Command[]> {
  const out: Command[] = [];
  const { imageCommand } = await import('../providers/lxc/image-command.ts');
  out.push(imageCommand());
  const { testCommand } = await import('./test-command.ts');
  out.push(testCommand());
  const { ltiCommand } = await import('./lti-command.ts');
  out.push(ltiCommand());
  return out;
}
