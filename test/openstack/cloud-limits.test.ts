/**
 * Provider entries for one cloud share its request limit: the limit protects the cloud's Heat API,
 * which does not care how many entries of ours talk to it. Built through the provider registry, as
 * the server builds them; no cloud is contacted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { buildProviders } from '../../src/providers/registry.ts';
import type { OpenStackProvider } from '../../src/providers/openstack/provider.ts';

const auth = (authUrl: string) => ({ auth_url: authUrl, username: 'u', password: 'p', project_name: 'p', user_domain_name: 'Default', project_domain_name: 'Default' });

test('entries for the same Keystone and region share one limiter, at the strictest limit', async () => {
  const entries = [
    { name: 'course-a', kind: 'openstack', auth: auth('http://keystone.example:5000/v3'), region: 'RegionOne', concurrency: 5 },
    { name: 'course-b', kind: 'openstack', auth: auth('http://keystone.example:5000/'), region: 'RegionOne', concurrency: 3 },
    { name: 'other-region', kind: 'openstack', auth: auth('http://keystone.example:5000/v3'), region: 'RegionTwo', concurrency: 4 },
    { name: 'other-cloud', kind: 'openstack', auth: auth('http://keystone.elsewhere:5000/v3'), region: 'RegionOne' },
  ];
  const { providers } = await buildProviders(JSON.stringify(entries), null, pino({ enabled: false }), { deployment: 'limits' });
  const [a, b, region, cloud] = providers.map((p) => (p as OpenStackProvider).http.limiter);
  assert.equal(a, b, 'two entries for one cloud must share a limiter');
  assert.equal(a!.limit, 3);
  assert.notEqual(region, a, 'another region has its own Heat endpoint and its own limit');
  assert.equal(region!.limit, 4);
  assert.notEqual(cloud, a);
  assert.equal(cloud!.limit, 8, 'the default limit');

  // Work from both entries together never has more than 3 requests in flight.
  let inFlight = 0;
  let most = 0;
  const request = () => async () => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
  };
  await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a! : b!).run(request())));
  assert.equal(most, 3);
});
