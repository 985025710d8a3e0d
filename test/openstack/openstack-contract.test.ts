/** The provider conformance suite, run against the OpenStack provider on the real Keystone + Heat. */
import { runProviderContract } from '../contract/provider-contract.ts';
import { createOpenStackProvider } from '../../src/providers/openstack/provider.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { HEAT_MISSING, demoOptions, ensureHeat } from './heat-env.ts';
import { FAILING_TEMPLATE, OK_TEMPLATE } from './templates.ts';

const env = await ensureHeat();

runProviderContract(
  'openstack (real Keystone + Heat)',
  async () => {
    if (!env) return null;
    const provider = createOpenStackProvider('contract-cloud', demoOptions(env));
    return {
      provider,
      goodTemplate: OK_TEMPLATE,
      parameters: { run: 'contract' },
      expectOutputs: ['password', 'public_ip'],
      failingTemplate: FAILING_TEMPLATE,
      actionTimeoutMs: 90_000,
      expectShelve: true,
      pollMs: 500,
      teardown: async () => provider.close?.(),
    };
  },
  { skip: skipUnless(env !== null, HEAT_MISSING) },
);
