import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadLab, loadLabs, LabError } from '../labs/load-labs.ts';
import { validateTemplate } from '../templates/validate.ts';
import { formatProblem, type TemplateProblem } from '../templates/problems.ts';
import { configFromCommand } from './runtime-from-cli.ts';
import { labsFolder } from '../labs/labs-folder.ts';
import { formatOf, render, table, withFormat } from './output.ts';

interface Target {
  label: string;
  template: string;
  templateFile: string;
  environment?: string;
  parameters: Record<string, unknown>;
}

/** A lab folder (lab.yaml + its templates, one per provider override) or a bare HOT template file. */
function targets(path: string): Target[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist: give a lab folder or a HOT template file`);
  if (statSync(path).isFile()) return [{ label: path, template: readFileSync(path, 'utf8'), templateFile: path, parameters: {} }];
  const lab = loadLab(resolve(path), { defaultProviders: ['default'] });
  const seen = new Set<string>();
  return lab.providers
    .filter((p) => !seen.has(p.templateFile) && seen.add(p.templateFile))
    .map((p) => ({ label: `${lab.id} (${p.templateFile})`, template: p.template, templateFile: resolve(path, p.templateFile), environment: p.environment, parameters: { ...lab.parameters, run: 'validate' } }));
}

export function validateCommand(): Command {
  return new Command('validate')
    .description('Check a lab folder or a HOT template: what Heat would refuse, or (--provider lxc) what the local runtime cannot run')
    .argument('<path>', 'lab folder or template file')
    .option('--provider <kind>', 'also check what this provider kind supports (lxc)')
    .action(async (path: string, opts: { provider?: string }) => {
      let problems: TemplateProblem[] = [];
      let list: Target[];
      try {
        list = targets(path);
      } catch (error) {
        if (error instanceof LabError) {
          for (const p of error.problems) console.error(`${error.file}: ${p}`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
      for (const t of list) {
        const found = validateTemplate(t.template, { file: t.templateFile, environment: t.environment, parameters: t.parameters });
        if (opts.provider === 'lxc' && found.length === 0) {
          const { validateForLxc } = await import('../providers/lxc/template-loader.ts');
          found.push(...validateForLxc(t.template, { file: t.templateFile, environment: t.environment, parameters: t.parameters }));
        } else if (opts.provider && opts.provider !== 'lxc') {
          throw new Error(`--provider ${opts.provider}: only 'lxc' has local checks; OpenStack templates are checked by Heat at launch`);
        }
        problems = problems.concat(found);
        console.log(found.length ? `✗ ${t.label}: ${found.length} problem(s)` : `✓ ${t.label}`);
      }
      for (const p of problems) console.error(`  ${formatProblem(p)}`);
      if (problems.length) process.exitCode = 1;
    });
}

export function labsCommand(): Command {
  return withFormat(new Command('labs').description('List the labs in the labs folder and whether they load')).action(async (opts: { json?: boolean; format?: string }, command: Command) => {
    const { config } = configFromCommand(command);
    const loaded = loadLabs(labsFolder(config.labs_dir), { defaultProviders: ['default'] });
    const value = { labs: [...loaded.labs.values()].map((l) => ({ id: l.id, title: l.title, protocol: l.protocol })), errors: loaded.errors.map((e) => ({ file: e.file, problems: e.problems })) };
    console.log(await render(value, formatOf(opts), () => table(value.labs, [
      { header: 'ID', value: (l) => l.id },
      { header: 'PROTOCOL', value: (l) => l.protocol },
      { header: 'TITLE', value: (l) => l.title },
    ])));
    if (formatOf(opts) === 'table') for (const error of loaded.errors) console.error(`✗ ${error.message}`);
    if (loaded.errors.length) process.exitCode = 1;
  });
}
