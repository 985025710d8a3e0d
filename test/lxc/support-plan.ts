/** The local runtime's planner on a template, without building anything (no root needed): its plan and outputs. */
import { buildPlan, type PlanResult } from '../../src/providers/lxc/build-plan.ts';
import { prepareStack } from '../../src/providers/lxc/evaluator.ts';
import { parseLxcOptions, type LxcProviderOptions } from '../../src/providers/lxc/options.ts';

export function planTemplate(template: string, parameters: Record<string, unknown> = {}, provider: LxcProviderOptions = {}, environment?: string): PlanResult {
  const evaluation = prepareStack(template, { parameters, environment });
  let n = 0;
  return buildPlan({ stackName: 'plantest', stackId: 'plantest', shortId: '000000', evaluation, settings: parseLxcOptions(provider), allocatePublicIp: () => `198.51.100.${++n}`, dryRun: true });
}
