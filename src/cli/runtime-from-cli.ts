/** Shared start-up for commands: config from env + file, then the runtime, with errors in plain words. */
import type { Command } from 'commander';
import { createRuntime, type Runtime } from '../app/create-context.ts';
import { ConfigError, loadConfig } from '../config/load-config.ts';

export function configFromCommand(command: Command, overrides: Record<string, unknown> = {}) {
  const root = command.parent ?? command;
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
  return createRuntime({ config, providerEntries, ltiConfig: lti });
}
