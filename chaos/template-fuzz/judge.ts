/**
 * Runs one case through what `stacklab validate --provider lxc` runs (src/cli/lab-commands.ts):
 * `validateTemplate`, and when that finds nothing, the local runtime's evaluator and planner as
 * `validateForLxc` calls them. Then judges the result.
 *
 * A case is a **crash** when
 *  - `validateTemplate` throws anything (it must return problems, never throw), or
 *  - the planner path throws something that is not a refusal (a `PlanError`, or an error carrying
 *    `problems` such as `TemplateError`), or
 *  - a refusal was made out of an internal error: its `cause` chain holds a TypeError, RangeError,
 *    ReferenceError, SyntaxError, a Node `ERR_*` error or a non-Error value (a bug wrapped in a message).
 *
 * A refusal is **unclear** when one of its problems does not say
 *  - the reason: `message` is a sentence (10+ characters) with no `undefined`, `NaN` or `[object Object]`;
 *  - where: it names a `resource`, an `output` or a `parameter`, or is a condition's (`condition '<name>': ...`),
 *    or it is about the document as a whole and gives its `line`;
 *  - the property: a problem naming a `resource` also names the `property` (or resource key such as
 *    `type`, `depends_on`), unless it is about the resource as a whole (a dependency cycle, a
 *    resource that is not a mapping).
 */
import type { TemplateProblem } from '../../src/templates/problems.ts';
import { validateTemplate } from '../../src/templates/validate.ts';
import { planForValidation } from '../../src/providers/lxc/validate.ts';
import type { FuzzCase } from './mutate.ts';

/** The judge reads the validator's own problem shape. */
export type Problemish = TemplateProblem;

export type Verdict = 'accepted' | 'refused' | 'crash' | 'unclear';

export interface Outcome {
  verdict: Verdict;
  /** Which stage decided: validate (Heat's checks) or lxc (the local runtime's planner). */
  stage: 'validate' | 'lxc';
  /** Wall-clock time. */
  ms: number;
  /**
   * CPU time of the process meanwhile: what the template costs, without the time spent waiting for
   * a core on a shared machine. Slowness is judged on it.
   */
  cpuMs: number;
  problems: Problemish[];
  /** For crashes and unclear refusals: what is wrong, one line. */
  detail?: string;
  /** The same defect found twice has the same signature (names and numbers taken out). */
  signature?: string;
}

const NATIVE = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];
const WHOLE_RESOURCE = [/^Circular Dependency Found/, /^"resources" must contain a map of resource maps/];

/** The first internal error in err's cause chain (err included), or undefined. */
export function internalCause(err: unknown): unknown {
  for (let e = err, depth = 0; e !== undefined && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (!(e instanceof Error)) return e;
    if (NATIVE.some((k) => e instanceof k)) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_')) return e;
  }
  return undefined;
}

export function problemDefects(p: Problemish): string[] {
  const defects: string[] = [];
  if (typeof p.message !== 'string' || p.message.trim().length < 10) defects.push('no reason');
  else if (/\bundefined\b|\bNaN\b|\[object Object\]/.test(p.message)) defects.push('broken reason');
  const named = p.resource !== undefined || p.output !== undefined || p.parameter !== undefined || /^condition '/.test(p.message);
  if (!named && p.line === undefined) defects.push('no place');
  if (p.resource !== undefined && p.property === undefined && !WHOLE_RESOURCE.some((re) => re.test(p.message))) defects.push('no property');
  return defects;
}

const normalise = (s: string, p?: Problemish) =>
  [p?.resource, p?.output, p?.parameter]
    .filter((name): name is string => typeof name === 'string' && name.length > 0)
    .reduce((m, name) => m.split(name).join('<name>'), s)
    .replace(/"[^"]*"|'[^']*'|\([^)]*\)/g, '_')
    .replace(/\d+(\.\d+)*/g, 'N')
    .slice(0, 120);

function judgeProblems(stage: Outcome['stage'], ms: number, problems: Problemish[]): Omit<Outcome, 'cpuMs'> {
  for (const p of problems) {
    const defects = problemDefects(p);
    if (defects.length) {
      return { verdict: 'unclear', stage, ms, problems, detail: `${defects.join(', ')}: ${JSON.stringify(p)}`, signature: `unclear/${stage}/${defects.join('+')}/${normalise(p.message, p)}` };
    }
  }
  return { verdict: problems.length ? 'refused' : 'accepted', stage, ms, problems };
}

function crash(stage: Outcome['stage'], ms: number, err: unknown, problems: Problemish[] = []): Omit<Outcome, 'cpuMs'> {
  const e = err instanceof Error ? err : new Error(String(err));
  const at = e.stack?.split('\n').find((l) => l.includes('/src/'))?.trim().replace(/^at /, '') ?? '';
  const where = at.replace(/.*\/src\//, 'src/').replace(/\)$/, '');
  return { verdict: 'crash', stage, ms, problems, detail: `${e.name}: ${e.message} (${where})`, signature: `crash/${stage}/${e.name}/${normalise(e.message)}/${where.replace(/:\d+$/, '')}` };
}

export function judge(c: FuzzCase): Outcome {
  const cpu = process.cpuUsage();
  const outcome = judgeTimed(c);
  const used = process.cpuUsage(cpu);
  return { ...outcome, cpuMs: (used.user + used.system) / 1000 };
}

function judgeTimed(c: FuzzCase): Omit<Outcome, 'cpuMs'> {
  const file = 'template.yaml';
  const opts = { file, environment: c.environment, parameters: c.parameters };
  const started = performance.now();
  let found: Problemish[];
  try {
    found = validateTemplate(c.template, opts);
  } catch (err) {
    return crash('validate', performance.now() - started, err);
  }
  if (found.length) return judgeProblems('validate', performance.now() - started, found);
  try {
    planForValidation(c.template, opts);
  } catch (err) {
    const ms = performance.now() - started;
    const problems = (err as { problems?: unknown }).problems;
    if (!Array.isArray(problems)) return crash('lxc', ms, err);
    const inner = internalCause(err);
    if (inner !== undefined) return crash('lxc', ms, inner, problems as Problemish[]);
    return judgeProblems('lxc', ms, problems as Problemish[]);
  }
  return { verdict: 'accepted', stage: 'lxc', ms: performance.now() - started, problems: [] };
}
