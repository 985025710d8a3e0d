/**
 * `stacklab validate`: what Heat itself would refuse, each problem with its file, line, resource and
 * property. Without parameter values, only parameters that could never get one are left alone;
 * with `requireAllParameters` a parameter without a value anywhere is a problem naming it.
 */
import { analyseTemplate } from './analyse.ts';
import type { TemplateProblem } from './problems.ts';

export interface ValidateOptions {
  file?: string;
  /** Heat environment file text. */
  environment?: string;
  environmentFile?: string;
  parameters?: Record<string, unknown>;
  requireAllParameters?: boolean;
  /** Files for get_file and nested template types, by the name the template uses. */
  files?: Record<string, string>;
  /** Why a file the template names could not be read (outside the lab folder, missing), by that name. */
  unreadableFiles?: Record<string, string>;
  /** Also refuse what Heat runs but the local runtime's evaluator does not (yaql, CFN functions). */
  localRuntime?: boolean;
  ignoreUnknownParameters?: boolean;
  /** Check properties against Heat's resource schemas (default: true). */
  checkProperties?: boolean;
}

export function validateTemplate(text: string, opts: ValidateOptions = {}): TemplateProblem[] {
  return validationReport(text, opts).problems;
}

/** The problems (reasons to refuse) and the notes (what was left unchecked), each in file order. */
export function validationReport(text: string, opts: ValidateOptions = {}): { problems: TemplateProblem[]; notes: TemplateProblem[] } {
  const { problems, notes } = analyseTemplate(text, { ...opts, checkProperties: opts.checkProperties ?? true });
  return { problems: inFileOrder(problems, opts.file), notes: inFileOrder(notes, opts.file) };
}

/** Template problems by line, then the environment's, then values without a line. */
function inFileOrder(problems: TemplateProblem[], file: string | undefined): TemplateProblem[] {
  const rank = (p: TemplateProblem) => (p.file === file ? 0 : 1);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}
