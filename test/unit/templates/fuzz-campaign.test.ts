/**
 * The template fuzz campaign itself, small: 300 cases of a fixed seed through validate and the
 * lxc planner in a watched worker thread. No crash, no refusal that does not say where and why,
 * no hang. The campaign's own 1 s bound per template is checked by `chaos/fuzz-templates.ts`; here
 * the bound is 5 s, so that a shared CI machine's pauses do not fail it but a runaway (an endless
 * or exponential case) still does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCampaign } from '../../../chaos/template-fuzz/campaign.ts';

test('300 fuzzed templates: accepted or refused clearly, none hangs', { timeout: 110_000 }, async () => {
  const report = await runCampaign({ seed: 'ci', cases: 300, slowMs: 5000, hangMs: 10_000 });
  assert.equal(report.cases, 300);
  assert.deepEqual(report.violations, [], JSON.stringify(report.violations, null, 2));
  assert.equal(report.crashes + report.unclear + report.hangs + report.slow, 0);
  // The mutations must reach both stages, or the campaign tests less than it claims.
  assert.ok(report.refused.validate > 0 && report.refused.lxc > 0 && report.accepted > 0, JSON.stringify(report));
});
