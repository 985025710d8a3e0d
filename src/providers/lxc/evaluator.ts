/** The local runtime evaluates templates with the project's HOT evaluator (src/templates/). */
import { prepareStack as evaluate } from '../../templates/evaluate.ts';
import type { PrepareStack, Problem } from './evaluation.ts';

export const prepareStack: PrepareStack = evaluate;

/** Problems out of whatever the evaluator threw (TemplateError and friends carry `problems`). */
export function problemsOf(err: unknown): Problem[] | null {
  const problems = (err as { problems?: unknown })?.problems;
  return Array.isArray(problems) ? (problems as Problem[]) : null;
}

/** Problems print the same way everywhere (`stacklab validate`, provider refusals). */
export { formatProblem } from '../../templates/problems.ts';
