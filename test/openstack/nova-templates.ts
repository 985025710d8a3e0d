/** HOT templates with real Nova servers and Neutron ports, for the cloud of scripts/setup-openstack.sh. */

/** One server on the shared network with a floating IP: what the provider contract runs. */
export const SERVER_TEMPLATE = `heat_template_version: 2018-08-31
description: stacklab test stack with one real Nova server
parameters:
  run:
    type: string
    default: none
resources:
  port:
    type: OS::Neutron::Port
    properties:
      network: private
  server:
    type: OS::Nova::Server
    properties:
      image: debian-12
      flavor: m1.tiny
      networks: [ { port: { get_resource: port } } ]
  floating_ip:
    type: OS::Neutron::FloatingIP
    properties:
      floating_network: public
      port_id: { get_resource: port }
outputs:
  public_ip:
    value: { get_attr: [ floating_ip, floating_ip_address ] }
  server_id:
    value: { get_resource: server }
  run:
    value: { get_param: run }
`;

/**
 * Three servers; reboot_on_resume names the first by its id ({get_resource: ...}, as hastexo's
 * templates do), the second by its resource name (as stacklab's labs do), and leaves the third alone.
 */
export const REBOOT_TEMPLATE = `heat_template_version: 2018-08-31
description: stacklab reboot_on_resume test
resources:
${['by_id', 'by_name', 'left_alone']
  .map(
    (name) => `  ${name}:
    type: OS::Nova::Server
    properties:
      image: debian-12
      flavor: m1.tiny
      networks: [ { network: private } ]
`,
  )
  .join('')}outputs:
  reboot_on_resume:
    value: [ { get_resource: by_id }, by_name ]
`;
