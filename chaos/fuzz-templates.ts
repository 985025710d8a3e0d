/**
 * Template fuzz campaign: mutated HOT templates (the labs', the test fixtures', a few seeds)
 * through what `stacklab validate --provider lxc` runs, in-process. Every case must be accepted or
 * refused clearly: no crash, every problem names its place, its property and its reason (the exact
 * rules are in template-fuzz/judge.ts), and none takes more than --slow-ms (1 s) of CPU.
 *
 *   node --import tsx chaos/fuzz-templates.ts [--cases 10000] [--seed S] [--case N] [--slow-ms 1000] [--hang-ms 10000]
 *
 * `--case N` replays one case of a seed and prints its template and outcome. Exits 1 on any
 * violation, printing a minimized example of each distinct one.
 */
import { parseArgs } from 'node:util';
import { makeCase } from './template-fuzz/cases.ts';
import { judge } from './template-fuzz/judge.ts';
import { minimize } from './template-fuzz/minimize.ts';
import { runCampaign } from './template-fuzz/campaign.ts';

function printExample(seed: string, n: number, slowMs: number): void {
  const c = makeCase(seed, n);
  const o = judge(c);
  const small = o.verdict === 'crash' || o.verdict === 'unclear' || o.cpuMs > slowMs ? minimize(c, o, slowMs) : c;
  console.log(`  case ${n} (from ${c.seed}; ${c.mutations.join('; ')})`);
  if (c.environment !== undefined) console.log(`  environment:\n${c.environment.replace(/^/gm, '    | ')}`);
  if (Object.keys(c.parameters).length) console.log(`  parameters: ${JSON.stringify(c.parameters)}`);
  console.log(`  minimized template:\n${small.template.replace(/^/gm, '    | ')}`);
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      cases: { type: 'string', default: '10000' },
      seed: { type: 'string' },
      case: { type: 'string' },
      'slow-ms': { type: 'string', default: '1000' },
      'hang-ms': { type: 'string', default: '10000' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const seed = args.seed ?? String(Date.now() % 1_000_000);
  const slowMs = Number(args['slow-ms']);
  if (args.case !== undefined) {
    const c = makeCase(seed, Number(args.case));
    console.log(`seed ${seed}, case ${args.case}, from ${c.seed}: ${c.mutations.join('; ')}`);
    console.log(c.template);
    console.log(JSON.stringify(judge(c), null, 2));
    return;
  }
  const cases = Number(args.cases);
  console.log(`template fuzz: ${cases} cases, seed ${seed} (replay: --seed ${seed})`);
  const r = await runCampaign({ seed, cases, slowMs, hangMs: Number(args['hang-ms']) });
  console.log(
    `cases ${r.cases}: accepted ${r.accepted}, refused ${r.refused.validate + r.refused.lxc} (validate ${r.refused.validate}, lxc planner ${r.refused.lxc}); ` +
      `crashes ${r.crashes}, unclear refusals ${r.unclear}, hangs ${r.hangs}, over ${slowMs} ms ${r.slow}`,
  );
  console.log(`slowest case ${r.slowestCpu.ms.toFixed(1)} ms of CPU (case ${r.slowestCpu.n}, from ${r.slowestCpu.seedName}); ${r.slowest.ms.toFixed(1)} ms wall-clock (case ${r.slowest.n}); ${r.seconds.toFixed(1)} s in all`);
  for (const v of r.violations) {
    console.log(`\n${v.kind.toUpperCase()}: ${v.detail}`);
    if (!args.quiet && v.kind !== 'hang') printExample(seed, v.n, slowMs);
    else console.log(`  replay: node --import tsx chaos/fuzz-templates.ts --seed ${seed} --case ${v.n}`);
  }
  if (r.violations.length) process.exitCode = 1;
}

await main();
