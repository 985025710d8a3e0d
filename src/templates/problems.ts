/**
 * What the template module reports. A problem names where it is (file, line, resource or output or
 * parameter, property) so an author can go straight to it; the message is Heat's wording where Heat
 * has one, so what `stacklab validate` says matches what OpenStack would say.
 */

export interface TemplateProblem {
  file?: string;
  line?: number;
  resource?: string;
  /** Path inside the resource's properties, e.g. `networks[0].port`, or a resource key (`depends_on`). */
  property?: string;
  /** Set for problems in the outputs section. */
  output?: string;
  /** Set for problems about a parameter's declaration or value. */
  parameter?: string;
  message: string;
}

/** One line, e.g. `template.yaml:12: resource 'server1', property 'flavor': must be a string`. */
export function formatProblem(p: TemplateProblem): string {
  const where = p.file ? (p.line ? `${p.file}:${p.line}` : p.file) : p.line ? `line ${p.line}` : '';
  const what: string[] = [];
  if (p.resource !== undefined) what.push(`resource '${p.resource}'`);
  if (p.output !== undefined) what.push(`output '${p.output}'`);
  if (p.parameter !== undefined) what.push(`parameter '${p.parameter}'`);
  if (p.property !== undefined) what.push(`property '${p.property}'`);
  const prefix = [where, what.join(', ')].filter((s) => s.length > 0).join(': ');
  return prefix ? `${prefix}: ${p.message}` : p.message;
}

export class TemplateError extends Error {
  /** `cause`: what an evaluation failure was made from, so a bug wrapped into a problem stays visible. */
  constructor(readonly problems: TemplateProblem[], options?: { cause?: unknown }) {
    const first = problems[0] ? formatProblem(problems[0]) : 'invalid template';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(`${first}${more}`, options);
    this.name = 'TemplateError';
  }

  /** Every problem, one per line: what `stacklab validate` prints. */
  describe(): string {
    return this.problems.map(formatProblem).join('\n');
  }
}

/** Formats a property path the way authors read it: `networks[0].port`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
