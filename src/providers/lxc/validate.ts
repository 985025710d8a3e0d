/**
 * `stacklab validate --provider lxc`: everything create would refuse, found without building
 * anything: template errors from the evaluator, resource types the runtime cannot emulate,
 * unknown images, networks, key pairs, overlapping or exhausted subnets.
 */
import { buildPlan, PlanError } from './build-plan.ts';
import type { Problem } from './evaluation.ts';
import { parseLxcOptions, type LxcProviderOptions } from './options.ts';
import { prepareStack, problemsOf } from './evaluator.ts';

export interface ValidateOptions {
  file?: string;
  environment?: string;
  parameters?: Record<string, unknown>;
  /** Files the template reads (get_file), by the name it uses. */
  files?: Record<string, string>;
  /** Drop given parameters the template does not declare (the launch passes only declared ones). */
  ignoreUnknownParameters?: boolean;
  /** The provider's options (image aliases, flavors); defaults otherwise. */
  provider?: LxcProviderOptions;
}

/**
 * Evaluates and plans without building anything; throws what create would refuse with (a PlanError
 * or a TemplateError, both carrying `problems`). Anything else thrown is a bug, which the template
 * fuzz campaign (chaos/fuzz-templates.ts) looks for here.
 */
export function planForValidation(text: string, opts: ValidateOptions = {}): void {
  const evaluation = prepareStack(text, {
    file: opts.file,
    environment: opts.environment,
    parameters: opts.parameters ?? {},
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.ignoreUnknownParameters ? { ignoreUnknownParameters: true } : {}),
  });
  let n = 0;
  buildPlan({
    stackName: 'stacklab-validate',
    stackId: 'validate',
    shortId: '000000',
    evaluation,
    settings: parseLxcOptions(opts.provider),
    allocatePublicIp: () => `198.51.100.${++n}`,
    dryRun: true,
  });
}

export function validateForLxc(text: string, opts: ValidateOptions = {}): Problem[] {
  try {
    planForValidation(text, opts);
    return [];
  } catch (err) {
    const problems = err instanceof PlanError ? err.problems : problemsOf(err);
    if (problems) return problems.map((p) => ({ file: opts.file, ...p }));
    return [{ file: opts.file, message: (err as Error).message }];
  }
}
