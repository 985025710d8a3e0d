/** The local runtime evaluates templates with the project's HOT evaluator (src/templates/). */
import { prepareStack as evaluate } from '../../templates/evaluate.ts';
import type { PrepareStack, Problem } from './evaluation.ts';

export const prepareStack: PrepareStack = evaluate;

/** Problems out of whatever the evaluator threw (TemplateError and friends carry `problems`). */
export function problemsOf(err: unknown): Problem[] | null {
  const problems = (err as { problems?: unknown })?.problems;
  return Array.isArray(problems) ? (problems as Problem[]) : null;
}

export function formatProblem(p: Problem & { output?: string; parameter?: string }): string {
  const where = p.file ? (p.line ? `${p.file}:${p.line}` : p.file) : p.line ? `line ${p.line}` : '';
  const what: string[] = [];
  if (p.resource !== undefined) what.push(`resource '${p.resource}'`);
  if (p.output !== undefined) what.push(`output '${p.output}'`);
  if (p.parameter !== undefined) what.push(`parameter '${p.parameter}'`);
  if (p.property !== undefined) what.push(`property '${p.property}'`);
  const prefix = [where, what.join(', ')].filter(Boolean).join(': ');
  return prefix ? `${prefix}: ${p.message}` : p.message;
}
