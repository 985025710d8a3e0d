/**
 * Picks the HOT evaluator: src/templates/evaluate.ts (the project's parser, validator and
 * evaluator) when present, else the runtime's own small evaluator (mini-hot.ts). The import is by
 * URL so the runtime builds and runs while templates/ is still being written; it is resolved once
 * at load so validation can stay synchronous.
 */
import { existsSync } from 'node:fs';
import type { PrepareStack, Problem } from './evaluation.ts';
import { prepareStack as miniPrepareStack } from './mini-hot.ts';

async function load(): Promise<PrepareStack> {
  const url = new URL('../../templates/evaluate.ts', import.meta.url);
  if (existsSync(url) && process.env.STACKLAB_LXC_MINI_HOT !== '1') {
    const mod = (await import(url.href)) as { prepareStack?: PrepareStack };
    if (typeof mod.prepareStack === 'function') return mod.prepareStack;
  }
  return miniPrepareStack;
}

export const prepareStack: PrepareStack = await load();

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
