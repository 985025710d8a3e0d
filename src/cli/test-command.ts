/**
 * `stacklab test <lab folder> [--provider NAME]`: lab CI for authors. Launches the lab, runs its solution and
 * checks, suspends, resumes, checks again, deletes; prints a timed report and exits non-zero on any failure.
 */
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { Provider } from '../providers/provider.ts';
import { configFromCommand } from './runtime-from-cli.ts';

function pickProvider(providers: Provider[], name: string | undefined): Provider {
  if (name) {
    const found = providers.find((p) => p.name === name);
    if (!found) throw new Error(`no provider named '${name}' is configured (configured: ${providers.map((p) => p.name).join(', ') || 'none'})`);
    return found;
  }
  const local = providers.find((p) => p.kind === 'lxc');
  if (!local) throw new Error('the local runtime is not available here and no --provider was given; configure a provider (see docs/configuration.md)');
  return local;
}

export function testCommand(): Command {
  return new Command('test')
    .description('Lab CI: launch a lab, run its solution and checks, suspend, resume, check again, delete; exit 1 on any failure')
    .argument('<lab>', 'lab folder (lab.yaml + template)')
    .option('--provider <name>', 'provider to launch on (default: the local lxc runtime)')
    .option('--json', 'print the report as JSON')
    .action(async (folder: string, opts: { provider?: string; json?: boolean }, command: Command) => {
      // Loaded here, not at the top, so that `stacklab --help` does not load the providers.
      const [{ default: pino }, { formatReport, testLab }, { LAB_TEST_DEPLOYMENT }, { LabError, loadLab }, { buildProviders }] = await Promise.all([
        import('pino'),
        import('../checks/lab-test.ts'),
        import('../domain/deployment.ts'),
        import('../labs/load-labs.ts'),
        import('../providers/registry.ts'),
      ]);
      const { config, providerEntries } = configFromCommand(command);
      const logger = pino({ level: config.log_level === 'info' ? 'warn' : config.log_level });
      const built = await buildProviders(config.providers, providerEntries, logger, { deployment: LAB_TEST_DEPLOYMENT });
      try {
        const provider = pickProvider(built.providers, opts.provider);
        let lab;
        try {
          lab = loadLab(resolve(folder), { defaultProviders: [provider.name] });
        } catch (error) {
          if (!(error instanceof LabError)) throw error;
          for (const problem of error.problems) console.error(`${error.file}: ${problem}`);
          process.exitCode = 1;
          return;
        }
        if (!opts.json) console.log(`stacklab test: lab '${lab.id}' (${join(folder, 'lab.yaml')}) on provider '${provider.name}'`);
        const report = await testLab(lab, provider, {
          onStep: opts.json ? undefined : (s) => console.log(`  ${s.ok ? '✓' : '✗'} ${s.name} (${(s.durationMs / 1000).toFixed(2)} s)${s.detail ? `: ${s.detail}` : ''}`),
        });
        console.log(opts.json ? JSON.stringify(report, null, 2) : `\n${formatReport(report)}`);
        if (!report.ok) process.exitCode = 1;
      } finally {
        for (const provider of built.providers) await provider.close?.();
      }
    });
}
