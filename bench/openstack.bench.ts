/**
 * What stacklab adds on top of Heat: for one template, in one run, N rounds alternating a raw Heat
 * call (HeatClient, polled every 0.2 s) with the same operation through stacklab (service request ->
 * worker -> provider -> READY/SUSPENDED, poll_interval 0.2 s), for launch, suspend and resume.
 * Needs the Keystone + Heat of scripts/setup-heat.sh; skipped when none answers.
 */
import { createOpenStackProvider } from '../src/providers/openstack/provider.ts';
import type { StackRef } from '../src/providers/provider.ts';
import { HEAT_MISSING, demoOptions, ensureHeat } from '../test/openstack/heat-env.ts';
import { deleteAndWait } from '../test/openstack/wait-stack.ts';
import { testLab, testRuntime } from '../test/support/test-runtime.ts';
import { median, rawUntil, reached, timed } from './heat-timing.ts';
import type { BenchResult } from './types.ts';

const ROUNDS = 5;
const POLL_MS = 200;
const GOAL = 1.1;

/** A create that takes a little over 2 s on Heat, with the outputs a lab has. */
const TEMPLATE = `heat_template_version: 2018-08-31
resources:
  wait:
    type: OS::Heat::TestResource
    properties:
      value: done
      action_wait_secs: { create: 2 }
  pw:
    type: OS::Heat::RandomString
    properties: { length: 16 }
  salt:
    type: OS::Heat::RandomString
  token:
    type: OS::Heat::RandomString
  ip:
    type: OS::Heat::Value
    properties: { value: 203.0.113.9 }
outputs:
  password:
    value: { get_attr: [pw, value] }
  public_ip:
    value: { get_attr: [ip, value] }
`;

export async function run(): Promise<BenchResult[] | { skipped: string }> {
  const env = await ensureHeat();
  if (!env) return { skipped: HEAT_MISSING };
  const heat = createOpenStackProvider('heat', demoOptions(env));
  const lab = testLab({ id: 'os-bench', template: TEMPLATE, providers: [{ name: 'heat', capacity: -1, template: TEMPLATE, templateFile: 'template.yaml' }] });
  const rt = await testRuntime({ providers: [heat], labs: [lab], overrides: { poll_interval: POLL_MS / 1000 } });
  // Real time: leases and deadlines behave as in production.
  Object.assign(rt.clock, { now: () => new Date() });
  rt.worker.start();
  const times = { raw: { launch: [] as number[], suspend: [] as number[], resume: [] as number[] }, stacklab: { launch: [] as number[], suspend: [] as number[], resume: [] as number[] } };
  const leftovers: StackRef[] = [];
  try {
    // Round 0 warms up (token, catalog, database, JIT) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const tag = `${process.pid}-${round}-${Math.random().toString(36).slice(2, 6)}`;
      const raw = { launch: 0, suspend: 0, resume: 0 };
      const ours = { launch: 0, suspend: 0, resume: 0 };
      let ref: StackRef | undefined;
      let id = '';
      // Alternate which goes first, so a drift of Heat's speed within a round favours neither.
      const rawFirst = round % 2 === 0;
      // Suspend and resume, each timed as a raw Heat action and as a request through stacklab.
      const powerSteps = (action: 'suspend' | 'resume', state: 'SUSPENDED' | 'READY'): [() => Promise<void>, () => Promise<void>] => [
        async () => {
          raw[action] = await timed(async () => {
            await heat.heat.action(ref!, action);
            await rawUntil(heat, ref!, `${action.toUpperCase()}_COMPLETE`, POLL_MS);
          });
        },
        async () => {
          ours[action] = await timed(async () => {
            const done = reached(rt, id, state);
            await (action === 'suspend' ? rt.ctx.stacks.requestSuspend(id, 'bench') : rt.ctx.stacks.requestResume(id, 'bench'));
            await done;
          });
        },
      ];
      const steps: Array<[() => Promise<void>, () => Promise<void>]> = [
        [
          async () => {
            raw.launch = await timed(async () => {
              ref = await heat.heat.create({ name: `stacklab-bench-${tag}`, template: TEMPLATE, parameters: {}, timeoutSeconds: 300 });
              await rawUntil(heat, ref, 'CREATE_COMPLETE', POLL_MS);
            });
            leftovers.push(ref!);
          },
          async () => {
            ours.launch = await timed(async () => {
              const stack = await rt.ctx.stacks.launch({ learner: `bench-${tag}`, context: 'bench', lab: 'os-bench', actor: 'bench' });
              id = stack.id;
              await reached(rt, id, 'READY');
            });
          },
        ],
        powerSteps('suspend', 'SUSPENDED'),
        powerSteps('resume', 'READY'),
      ];
      for (const [rawStep, labStep] of steps) {
        if (rawFirst) {
          await rawStep();
          await labStep();
        } else {
          await labStep();
          await rawStep();
        }
      }
      // Clean up before the next round, so deletes do not load Heat while it is measured.
      const deleted = reached(rt, id, 'DELETED');
      await rt.ctx.stacks.requestDelete(id, 'bench');
      await Promise.all([deleted, deleteAndWait(heat, ref!)]);
      leftovers.pop();
      if (round === 0) continue;
      for (const k of ['launch', 'suspend', 'resume'] as const) {
        times.raw[k].push(raw[k]);
        times.stacklab[k].push(ours[k]);
      }
    }
  } finally {
    await rt.close();
    for (const ref of leftovers) await deleteAndWait(heat, ref);
  }
  const results: BenchResult[] = [];
  const what = { launch: 'launch to READY', suspend: 'suspend to SUSPENDED', resume: 'resume to READY' } as const;
  for (const k of ['launch', 'suspend', 'resume'] as const) {
    const r = median(times.raw[k]);
    const s = median(times.stacklab[k]);
    // Rounds differ more from each other than the two sides of one round: the paired difference is the steadier figure.
    const paired = median(times.stacklab[k].map((v, i) => v - times.raw[k][i]!));
    results.push(
      { name: `openstack: raw Heat ${k} (median of ${ROUNDS})`, value: r, unit: 'ms', note: `poll ${POLL_MS} ms; all: ${times.raw[k].map(Math.round).join(', ')}` },
      { name: `openstack: stacklab ${what[k]} (median of ${ROUNDS})`, value: s, unit: 'ms', note: `all: ${times.stacklab[k].map(Math.round).join(', ')}` },
      { name: `openstack: stacklab / raw, ${k}`, value: s / r, unit: 'ratio', goal: `<= ${GOAL}`, met: s / r <= GOAL, note: `stacklab adds ${Math.round(paired)} ms (median of paired differences)` },
    );
  }
  return results;
}
