/**
 * `stacklab validate` for one template of a lab folder (or a bare template file): the files it reads
 * and the templates it nests, found from its folder as python-heatclient finds them (template-files.ts)
 * and checked in turn; the template against Heat's rules and resource schemas; and, for a lab, the
 * outputs the lab needs (output-contract.ts). Problems refuse the template; notes say what was not checked.
 */
import { dirname } from 'node:path';
import { readTemplate } from '../templates/parse.ts';
import type { TemplateProblem } from '../templates/problems.ts';
import { validationReport } from '../templates/validate.ts';
import { outputContractProblems } from './output-contract.ts';
import { templateFiles, type NestedTemplate } from './template-files.ts';
import type { Lab } from '../domain/lab.ts';

export interface ValidationTarget {
  template: string;
  /** The template's path; nested files are found from its folder. */
  templateFile: string;
  /** The folder no file may be read outside of: the lab folder, or a bare template's folder. */
  root: string;
  environment?: string;
  /** The environment's path, for templates its resource_registry names; default: beside the template. */
  environmentFile?: string;
  parameters: Record<string, unknown>;
  /** Set for a lab (not a bare template): its output contract is checked too. */
  lab?: Pick<Lab, 'protocol'>;
}

export interface LabValidation {
  problems: TemplateProblem[];
  notes: TemplateProblem[];
  /** The files to send with the template (Heat's `files`), by the names the templates use. */
  files: Record<string, string>;
}

export function validateLabTemplate(t: ValidationTarget): LabValidation {
  const envPath = t.environmentFile ?? `${dirname(t.templateFile)}/environment.yaml`;
  const found = templateFiles(t.template, t.templateFile, t.root, t.environment === undefined ? undefined : { text: t.environment, path: envPath });
  const report = validationReport(t.template, {
    file: t.templateFile,
    environment: t.environment,
    environmentFile: envPath,
    parameters: t.parameters,
    // As at launch, where only the parameters a template declares are passed (the platform's `run` and lab.yaml's others are dropped).
    ignoreUnknownParameters: true,
    files: found.files,
    unreadableFiles: found.unreadable,
  });
  const problems = [...report.problems];
  const notes = [...report.notes];
  const files = { ...found.files };
  const checkNested = (list: NestedTemplate[], seen: Set<string>) => {
    for (const nested of list) {
      if (seen.has(nested.path)) continue;
      seen.add(nested.path);
      // Its parameters get their values from the parent's properties, checked there.
      const r = validationReport(nested.text, { file: nested.path, files: nested.files.files, unreadableFiles: nested.files.unreadable, ignoreUnknownParameters: true });
      problems.push(...r.problems);
      notes.push(...r.notes);
      Object.assign(files, nested.files.files);
      checkNested(nested.files.nested, seen);
    }
  };
  checkNested(found.nested, new Set());
  if (t.lab && report.problems.length === 0) {
    const { template } = readTemplate(t.template, t.templateFile);
    if (template) problems.push(...outputContractProblems(t.lab, template, t.templateFile));
  }
  return { problems, notes, files };
}
