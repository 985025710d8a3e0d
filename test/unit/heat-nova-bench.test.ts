/**
 * The arithmetic and settings of bench/heat-nova.bench.ts (the benchmark itself needs minutes on the
 * test cloud, so it is run by hand: BENCHMARKS.md): what it reports against the goals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settingsFromEnv, summarise } from '../../bench/heat-nova.bench.ts';

test('the launch is judged by its ratio, suspend and resume by the median of paired differences', () => {
  const times = {
    raw: { launch: [10_000, 12_000, 20_000], suspend: [300, 900, 400], resume: [500, 500, 500] },
    ours: { launch: [10_400, 12_900, 20_100], suspend: [310, 950, 430], resume: [560, 530, 600] },
  };
  const byName = new Map(summarise('lab', times, 200, 0.2).map((r) => [r.name, r]));
  const launch = byName.get('heat-nova lab: stacklab / raw, launch')!;
  assert.equal(launch.value, 12_900 / 12_000);
  assert.equal(launch.met, false, '1.075 misses the 1.05 goal');
  const suspend = byName.get('heat-nova lab: stacklab - raw, suspend (paired median)')!;
  assert.equal(suspend.value, 30, 'paired differences 10, 50, 30: median 30');
  assert.equal(suspend.met, false);
  const resume = byName.get('heat-nova lab: stacklab - raw, resume (paired median)')!;
  assert.equal(resume.value, 60);
  assert.equal(byName.get('heat-nova lab: raw Heat suspend (median of 3)')!.value, 400);
  assert.equal(byName.get('heat-nova lab: stacklab suspend to SUSPENDED (median of 3)')!.value, 430);
});

test('both sides poll alike unless told otherwise; bad settings are refused by name', () => {
  assert.deepEqual(settingsFromEnv({}), { labs: ['single-server', 'ten-servers'], rounds: 3, rawPollMs: 200, pollInterval: 0.2 });
  assert.deepEqual(settingsFromEnv({ HEAT_NOVA_LABS: 'desktop', HEAT_NOVA_ROUNDS: '1', HEAT_NOVA_RAW_POLL_MS: '100' }), { labs: ['desktop'], rounds: 1, rawPollMs: 100, pollInterval: 0.1 });
  assert.equal(settingsFromEnv({ HEAT_NOVA_POLL_INTERVAL: 'default' }).pollInterval, 'default');
  assert.throws(() => settingsFromEnv({ HEAT_NOVA_ROUNDS: 'many' }), /HEAT_NOVA_ROUNDS=many: expected a positive number/);
});
