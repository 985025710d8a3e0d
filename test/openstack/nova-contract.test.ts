/** The provider conformance suite against the OpenStack provider, on a cloud with real Nova servers. */
import { runProviderContract } from '../contract/provider-contract.ts';
import { createOpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { demoOptions } from './heat-env.ts';
import { NOVA_MISSING, ensureNova } from './nova-env.ts';
import { SERVER_TEMPLATE } from './nova-templates.ts';
import { FAILING_TEMPLATE } from './templates.ts';

const env = await ensureNova();

runProviderContract(
  'openstack (real Heat + Nova + Neutron, fake hypervisor)',
  async () => {
    if (!env) return null;
    const provider = createOpenStackProvider('contract-nova', demoOptions(env, { request_timeout_seconds: 60 }));
    return {
      provider,
      goodTemplate: SERVER_TEMPLATE,
      parameters: { run: 'contract' },
      expectOutputs: ['public_ip', 'server_id'],
      failingTemplate: FAILING_TEMPLATE,
      actionTimeoutMs: 120_000,
      expectShelve: true,
      pollMs: 500,
      teardown: async () => provider.close?.(),
    };
  },
  { skip: skipUnless(env !== null, NOVA_MISSING) },
);
