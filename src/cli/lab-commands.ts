import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { loadLab, loadLabs, LabError } from '../labs/load-labs.ts';
import { validateLabTemplate, type ValidationTarget } from '../labs/validate-lab.ts';
import { readTemplate } from '../templates/parse.ts';
import { formatProblem, type TemplateProblem } from '../templates/problems.ts';
import { configFromCommand } from './runtime-from-cli.ts';
import { labsFolder } from '../labs/labs-folder.ts';
import { formatOf, render, table, withFormat } from './output.ts';

interface Target extends ValidationTarget {
  label: string;
}

/** A lab folder (lab.yaml + its templates, one per provider override) or a bare HOT template file. */
function targets(path: string): Target[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist: give a lab folder or a HOT template file`);
  if (statSync(path).isFile()) return [{ label: path, template: readFileSync(path, 'utf8'), templateFile: path, root: dirname(resolve(path)), parameters: {} }];
  const lab = loadLab(resolve(path), { defaultProviders: ['default'] });
  const seen = new Set<string>();
  return lab.providers
    .filter((p) => !seen.has(p.templateFile) && seen.add(p.templateFile))
    .map((p) => ({
      label: `${lab.id} (${p.templateFile})`,
      template: p.template,
      templateFile: resolve(path, p.templateFile),
      root: resolve(path),
      environment: p.environment,
      parameters: { ...lab.parameters, run: 'validate' },
      lab: { protocol: lab.protocol },
    }));
}

export function validateCommand(): Command {
  return new Command('validate')
    .description('Check a lab folder or a HOT template: what Heat would refuse, or (--provider lxc) what the local runtime cannot run')
    .argument('<path>', 'lab folder or template file')
    .option('--provider <kind>', 'also check what this provider kind supports (lxc)')
    .action(async (path: string, opts: { provider?: string }) => {
      let problems: TemplateProblem[] = [];
      let notes: TemplateProblem[] = [];
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
        const checked = validateLabTemplate(t);
        const found = checked.problems;
        notes = notes.concat(checked.notes);
        if (opts.provider === 'lxc' && found.length === 0) {
          const { validateForLxc } = await import('../providers/lxc/template-loader.ts');
          const lxc = validateForLxc(t.template, { file: t.templateFile, environment: t.environment, parameters: t.parameters, files: checked.files, ignoreUnknownParameters: true });
          found.push(...withLines(lxc, t.template, 'the local runtime (lxc) cannot run this'));
          if (lxc.some((p) => p.property === 'type')) {
            const { SUPPORTED_TYPES } = await import('../providers/lxc/build-plan.ts');
            notes.push({ file: t.templateFile, message: `the local runtime (lxc) runs these types: ${SUPPORTED_TYPES.join(', ')}` });
          }
        } else if (opts.provider && opts.provider !== 'lxc') {
          throw new Error(`--provider ${opts.provider}: only 'lxc' has local checks; OpenStack templates are checked by Heat at launch`);
        }
        problems = problems.concat(found);
        console.log(found.length ? `✗ ${t.label}: ${found.length} problem(s)` : `✓ ${t.label}`);
      }
      for (const p of problems) console.error(`  ${formatProblem(p)}`);
      for (const n of notes) console.error(`  note: ${formatProblem(n)}`);
      if (problems.length) process.exitCode = 1;
    });
}

/**
 * The local runtime's refusals name the resource and property; the line is found here so each says
 * where it is, and that it is the local runtime (not Heat) that refuses.
 */
function withLines(problems: TemplateProblem[], text: string, why: string): TemplateProblem[] {
  const { template } = readTemplate(text);
  return problems.map((p) => {
    const top = p.property?.split(/[.[]/)[0];
    const line = p.line ?? (p.resource && template ? (top ? template.lines.at(['resources', p.resource, top === 'type' ? 'type' : 'properties', ...(top === 'type' ? [] : [top])]) : template.lines.resource(p.resource)) : undefined);
    // The supported types are listed once, in a note, not after every refused type.
    return { ...p, ...(line !== undefined ? { line } : {}), message: `${why}: ${p.message.replace(/; supported: .*$/, '')}` };
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
