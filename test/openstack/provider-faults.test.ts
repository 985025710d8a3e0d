/**
 * The provider-faults campaign (chaos/provider-faults-campaign.ts), short: a few learners on the real
 * Keystone + Heat through fault proxies at high rates, with quick retries so it fits the two-minute
 * limit. The campaign judges (every launch ends READY or failed in words a learner can act on, the
 * outage fails over, never two stacks for one lab, nothing left after the deletes); this test holds it
 * to having been put through something: faults of every kind were injected, and the outage was met.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runProviderFaults } from '../../chaos/provider-faults-campaign.ts';
import { postgresAvailable } from '../support/databases.ts';
import { skipUnless } from '../support/prerequisite.ts';
import { HEAT_MISSING, ensureHeat } from './heat-env.ts';

const env = await ensureHeat();
const postgres = await postgresAvailable();

describe('provider faults on the real Heat', { skip: skipUnless(env !== null, HEAT_MISSING) || skipUnless(postgres, 'no PostgreSQL at 127.0.0.1:5432') }, () => {
  test('a short campaign at high fault rates: no violations', async () => {
    const lines: string[] = [];
    const report = await runProviderFaults({
      launches: 4,
      outageLaunches: 1,
      concurrency: 5,
      rates: { error: 0.15, timeout: 0.04, slow: 0.1, drop: 0.12 },
      secondRates: { error: 0.05, timeout: 0, slow: 0, drop: 0.05 },
      slowMs: [200, 800],
      requestTimeoutSeconds: 3,
      launchTimeoutSeconds: 60,
      minutes: 1.6,
      retry: { retries: 5, baseDelayMs: 50, maxDelayMs: 400 },
      log: (line) => lines.push(line),
    });
    console.error(`# ${JSON.stringify({ ...report, failures: report.failures.slice(0, 5) })}`);
    assert.deepEqual(report.violations, [], lines.join('\n'));
    assert.equal(report.launches, 5);
    assert.equal(report.ready + report.launchFailed, report.launches, 'a launch ended neither READY nor LAUNCH_FAILED');
    assert.ok(report.failovers >= 1, 'the launch during the outage did not fail over');
    assert.ok((report.readyOn['cloud-second'] ?? 0) >= 1, 'nothing landed on the second cloud');
    const first = report.clouds['cloud-faulty']!;
    assert.ok(first.faults.outage >= 1, 'the outage met no request');
    const injected = first.faults['error-before'] + first.faults['error-after'] + first.faults.drop + first.faults.slow;
    assert.ok(injected >= 5, `only ${injected} faults were injected besides the outage: the campaign tested little`);
    assert.ok(report.samples >= 3, 'Heat was hardly watched');
    assert.ok(report.deletes >= report.launches, 'not every lab was deleted');
  });
});
