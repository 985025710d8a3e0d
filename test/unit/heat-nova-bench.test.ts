/**
 * The arithmetic and settings of bench/heat-nova.bench.ts (the benchmark itself needs minutes on the
 * test cloud, so it is run by hand: BENCHMARKS.md): what it reports against the goals.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heatTimes } from '../../bench/heat-engine-log.ts';
import { overHeat, samplesOfHeat, settingsFromEnv, summarise } from '../../bench/heat-nova.bench.ts';

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
  assert.deepEqual(settingsFromEnv({}), { labs: ['single-server', 'ten-servers'], rounds: 3, cycles: 1, rawPollMs: 200, pollInterval: 0.2 });
  assert.deepEqual(settingsFromEnv({ HEAT_NOVA_LABS: 'desktop', HEAT_NOVA_ROUNDS: '1', HEAT_NOVA_CYCLES: '8', HEAT_NOVA_RAW_POLL_MS: '100' }), { labs: ['desktop'], rounds: 1, cycles: 8, rawPollMs: 100, pollInterval: 0.1 });
  assert.equal(settingsFromEnv({ HEAT_NOVA_POLL_INTERVAL: 'default' }).pollInterval, 'default');
  assert.throws(() => settingsFromEnv({ HEAT_NOVA_ROUNDS: 'many' }), /HEAT_NOVA_ROUNDS=many: expected a positive number/);
});

const LOG = `2026-12-02 07:50:25.789 10907 INFO heat.engine.service [req-1 - - - -] Creating stack stacklab-d-1
2026-12-02 07:50:26.000 10907 INFO heat.engine.service [req-2 - - - -] Creating stack someone-elses
2026-12-02 07:50:55.788 10907 INFO heat.engine.stack [req-1 - - - -] Stack CREATE COMPLETE (stacklab-d-1): Stack CREATE completed successfully
2026-12-02 07:51:46.598 10907 INFO heat.engine.stack [req-3 - - - -] Stack SUSPEND IN_PROGRESS (stacklab-d-1): Stack SUSPEND started
2026-12-02 07:51:50.996 10907 INFO heat.engine.stack [req-3 - - - -] Stack SUSPEND COMPLETE (stacklab-d-1): Stack SUSPEND completed successfully
2026-12-02 07:51:55.100 10907 INFO heat.engine.stack [req-5 - - - -] Stack RESUME IN_PROGRESS (stacklab-d-1): Stack RESUME started
2026-12-02 07:51:57.300 10907 INFO heat.engine.stack [req-5 - - - -] Stack RESUME COMPLETE (stacklab-d-1): Stack RESUME completed successfully
2026-12-02 07:52:01.000 10907 INFO heat.engine.stack [req-6 - - - -] Stack SUSPEND IN_PROGRESS (stacklab-d-1): Stack SUSPEND started
2026-12-02 07:52:04.500 10907 INFO heat.engine.stack [req-6 - - - -] Stack SUSPEND COMPLETE (stacklab-d-1): Stack SUSPEND completed successfully
2026-12-02 07:52:45.585 10907 INFO heat.engine.stack [req-4 - - - -] Stack DELETE COMPLETE (stacklab-d-1): Stack DELETE completed successfully
`;

test("Heat's own time per action comes from heat-engine's log, every time, for the named stacks only", () => {
  const times = heatTimes(LOG, ['stacklab-d-1', 'absent']);
  assert.deepEqual(times.get('stacklab-d-1'), { CREATE: [29_999], SUSPEND: [4_398, 3_500], RESUME: [2_200] });
  assert.equal(times.has('someone-elses'), false);
  assert.equal(times.has('absent'), false);
});

test('what each client adds over Heat cancels a slow Heat in one round', () => {
  // Round 1: Heat took 50 s for the raw stack and 30 s for stacklab's; each client added 300 / 700 ms.
  const times = { raw: { launch: [50_300], suspend: [4_500], resume: [3_000] }, ours: { launch: [30_700], suspend: [4_530], resume: [3_050] } };
  const heat = samplesOfHeat([[{ CREATE: [50_000], SUSPEND: [4_400], RESUME: [2_900] }, { CREATE: [30_000], SUSPEND: [4_400], RESUME: [2_940] }]], 1);
  const out = new Map(overHeat('lab', times, heat).map((r) => [r.name, r]));
  assert.equal(out.get('heat-nova lab: stacklab over Heat\'s time, launch (median of 1)')!.value, 700);
  assert.equal(out.get('heat-nova lab: raw client over Heat\'s time, launch (median of 1)')!.value, 300);
  const ratio = out.get('heat-nova lab: stacklab / raw, launch, at equal Heat time')!;
  assert.equal(ratio.value, (50_000 + 700) / (50_000 + 300), 'at the median Heat time of the round (the upper of two)');
  assert.equal(out.get('heat-nova lab: stacklab - raw over Heat\'s time, suspend (paired median)')!.value, 30);
  assert.equal(out.get('heat-nova lab: stacklab - raw over Heat\'s time, resume (paired median)')!.value, 10);
});

test("with several suspend/resume cycles per launch, each sample is paired with Heat's time for that very cycle", () => {
  // One launch, two cycles; the log is missing the raw stack's second resume.
  const heat = samplesOfHeat([[{ CREATE: [20_000], SUSPEND: [1_000, 1_100], RESUME: [900] }, { CREATE: [21_000], SUSPEND: [1_200, 1_050], RESUME: [950, 990] }]], 2);
  assert.deepEqual(heat, { launch: [[20_000, 21_000]], suspend: [[1_000, 1_200], [1_100, 1_050]], resume: [[900, 950], [undefined, 990]] });
  const times = { raw: { launch: [20_300], suspend: [1_300, 1_400], resume: [1_200, 1_300] }, ours: { launch: [21_400], suspend: [1_520, 1_370], resume: [1_260, 1_290] } };
  const out = new Map(overHeat('lab', times, heat).map((r) => [r.name, r]));
  // Suspend: raw over Heat 300, 300; stacklab over Heat 320, 320: +20 in both cycles.
  assert.equal(out.get('heat-nova lab: stacklab - raw over Heat\'s time, suspend (paired median)')!.value, 20);
  // Resume: only the first cycle has both of Heat's times: 310 - 300.
  assert.equal(out.get('heat-nova lab: stacklab - raw over Heat\'s time, resume (paired median)')!.value, 10);
  assert.equal(out.get('heat-nova lab: stacklab over Heat\'s time, resume (median of 1)')!.value, 310);
});
