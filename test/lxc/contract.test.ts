/** The provider conformance suite on real LXC containers, with the single-server sample lab. */
import { runProviderContract } from '../contract/provider-contract.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { LXC_TEST_DEPLOYMENT, labTemplate, lxcMissing, testProvider } from './support.ts';

// A create that builds, boots, and then fails for real: the server signals FAILURE to its wait condition.
const FAILING = `
heat_template_version: 2016-10-14
resources:
  net: { type: OS::Neutron::Net }
  subnet: { type: OS::Neutron::Subnet, properties: { network: { get_resource: net }, cidr: 10.0.0.0/24 } }
  router: { type: OS::Neutron::Router, properties: { external_gateway_info: { network: public } } }
  iface: { type: OS::Neutron::RouterInterface, properties: { router: { get_resource: router }, subnet: { get_resource: subnet } } }
  handle: { type: OS::Heat::WaitConditionHandle }
  wait:
    type: OS::Heat::WaitCondition
    depends_on: server
    properties: { handle: { get_resource: handle }, timeout: 60 }
  server:
    type: OS::Nova::Server
    depends_on: iface
    properties:
      image: debian-12
      flavor: m1.tiny
      networks: [ { network: { get_resource: net } } ]
      user_data_format: RAW
      user_data:
        str_replace:
          template: |
            #!/bin/sh
            wc_notify --data-binary '{"status": "FAILURE", "reason": "setup script failed on purpose"}'
          params:
            wc_notify: { get_attr: [ handle, curl_cli ] }
`;

const missing = await lxcMissing();

runProviderContract(
  'lxc (real containers)',
  async () => ({
    provider: testProvider(),
    deployment: LXC_TEST_DEPLOYMENT,
    goodTemplate: labTemplate('single-server'),
    expectOutputs: ['public_ip', 'private_key'],
    failingTemplate: FAILING,
    actionTimeoutMs: 90_000,
    // The local runtime has nothing to shelve to: it suspends, then deletes.
    expectShelve: false,
    pollMs: 50,
  }),
  { skip: skipUnless(missing === null, missing ?? '') },
);
