/** The CloudFormation functions of 2013-05-23 templates: Heat checks and runs them; the local runtime refuses them. */
import type { IntrinsicFunction } from './function-spec.ts';

function cfn(name: string, until: string): IntrinsicFunction {
  return {
    name,
    value: { since: '2013-05-23', until },
    notEvaluated: `The CloudFormation function "${name}" is not supported by the local runtime; use the HOT functions (get_param, list_join, ...)`,
    check: (c) => c.data(c.args, c.path),
  };
}

export const CFN_FUNCTIONS = [
  cfn('Fn::Select', '2015-04-30'),
  cfn('Fn::GetAZs', '2013-05-23'),
  cfn('Fn::Join', '2013-05-23'),
  cfn('Fn::Split', '2013-05-23'),
  cfn('Fn::Replace', '2013-05-23'),
  cfn('Fn::Base64', '2013-05-23'),
  cfn('Fn::MemberListToMap', '2013-05-23'),
  cfn('Fn::ResourceFacade', '2013-05-23'),
  cfn('Ref', '2013-05-23'),
];
