/** HOT templates that Heat runs without Nova or Neutron, for the integration tests. */

export const OK_TEMPLATE = `heat_template_version: 2018-08-31
description: stacklab test stack
parameters:
  run:
    type: string
    default: none
resources:
  pw:
    type: OS::Heat::RandomString
    properties:
      length: 16
  ip:
    type: OS::Heat::Value
    properties:
      value: 203.0.113.7
outputs:
  password:
    value: { get_attr: [pw, value] }
  public_ip:
    value: { get_attr: [ip, value] }
  run:
    value: { get_param: run }
`;

/** A create that takes `secs` seconds (TestResource waits), so there is time to act in the middle. */
export function slowTemplate(secs: number): string {
  return `heat_template_version: 2018-08-31
resources:
  slow:
    type: OS::Heat::TestResource
    properties:
      value: done
      action_wait_secs: { create: ${secs} }
outputs:
  result:
    value: { get_attr: [slow, output] }
`;
}

export const FAILING_TEMPLATE = `heat_template_version: 2018-08-31
resources:
  fine:
    type: OS::Heat::RandomString
  broken:
    type: OS::Heat::TestResource
    properties:
      value: the disk of server broken is on fire
      fail: true
`;

export const BAD_TYPE_TEMPLATE = `heat_template_version: 2018-08-31
resources:
  nope:
    type: OS::Heat::NoSuchThing
`;
