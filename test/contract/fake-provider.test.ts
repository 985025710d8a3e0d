import { FakeProvider } from '../../src/providers/fake/fake-provider.ts';
import { runProviderContract } from './provider-contract.ts';

runProviderContract('fake (in memory)', async () => {
  const provider = new FakeProvider('fake', { delay_ms: 20, can_shelve: true });
  return {
    provider,
    goodTemplate: 'heat_template_version: 2016-10-14\n',
    expectOutputs: ['public_ip', 'private_key'],
    failingTemplate: 'heat_template_version: 2016-10-14\ndescription: fake_fail: true\n',
    actionTimeoutMs: 2000,
    expectShelve: true,
    pollMs: 5,
  };
});
