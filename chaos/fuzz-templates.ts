/**
 * Template fuzz campaign: mutated HOT templates (the labs', the test fixtures', a few seeds)
 * through what `stacklab validate --provider lxc` runs, in-process. Every case must be accepted or
 * refused clearly: no crash, every problem names its place, its property and its reason (the exact
 * rules are in template-fuzz/judge.ts), and none takes more than --slow-ms (1 s).
 *
 *   node --import tsx chaos/fuzz-templates.ts [--cases 10000] [--seed S] [--case N] [--slow-ms 1000] [--hang-ms 10000]
 *
 * `--case N` replays one case of a seed and prints its template and outcome. Exits 1 on any
 * violation, printing a minimized example of each distinct one.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { makeCase } from './template-fuzz/cases.ts';
import { judge, type Outcome } from './template-fuzz/judge.ts';
import { minimize } from './template-fuzz/minimize.ts';
import type { WorkerMessage, WorkerRequest } from './template-fuzz/worker.ts';

export interface CampaignReport {
  seed: string;
  cases: number;
  accepted: number;
  refused: { validate: number; lxc: number };
  crashes: number;
  unclear: number;
  hangs: number;
  slow: number;
  slowest: { ms: number; n: number; seedName: string };
  /** One example per distinct violation. */
  violations: { kind: string; n: number; signature: string; detail: string }[];
  seconds: number;
}

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

export function runCampaign(opts: { seed: string; cases: number; slowMs: number; hangMs: number }): Promise<CampaignReport> {
  const started = Date.now();
  const report: CampaignReport = {
    seed: opts.seed, cases: 0, accepted: 0, refused: { validate: 0, lxc: 0 }, crashes: 0, unclear: 0, hangs: 0, slow: 0,
    slowest: { ms: 0, n: -1, seedName: '' }, violations: [], seconds: 0,
  };
  const seen = new Set<string>();
  const violation = (kind: string, n: number, signature: string, detail: string) => {
    if (seen.has(signature)) return;
    seen.add(signature);
    report.violations.push({ kind, n, signature, detail });
  };
  const record = (n: number, o: Outcome, seedName: string) => {
    report.cases++;
    if (o.ms > report.slowest.ms) report.slowest = { ms: o.ms, n, seedName };
    if (o.verdict === 'accepted') report.accepted++;
    else if (o.verdict === 'refused') report.refused[o.stage]++;
    else if (o.verdict === 'crash') report.crashes++;
    else report.unclear++;
    if (o.verdict === 'crash' || o.verdict === 'unclear') violation(o.verdict, n, o.signature!, o.detail!);
    if (o.ms > opts.slowMs) {
      report.slow++;
      violation('slow', n, `slow/${seedName}`, `${o.ms.toFixed(0)} ms (${o.verdict})`);
    }
  };

  return new Promise((resolve, reject) => {
    let next = 0;
    const startWorker = () => {
      if (next >= opts.cases) {
        report.seconds = (Date.now() - started) / 1000;
        resolve(report);
        return;
      }
      // The thread needs tsx too, to load the TypeScript it runs.
      const worker = new Worker(new URL('./template-fuzz/worker-entry.mjs', import.meta.url));
      let current = -1;
      let since = Date.now();
      const watchdog = setInterval(() => {
        if (current < 0 || Date.now() - since < opts.hangMs) return;
        // A hang: stop the thread, count the case, carry on with the next one in a new thread.
        clearInterval(watchdog);
        report.cases++;
        report.hangs++;
        violation('hang', current, `hang/${current}`, `no answer after ${opts.hangMs} ms`);
        next = current + 1;
        current = -1;
        void worker.terminate().then(startWorker);
      }, 200);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'start') {
          current = m.n;
          since = Date.now();
          return;
        }
        current = -1;
        next = m.n + 1;
        record(m.n, m.outcome, m.seedName);
        if (next >= opts.cases) {
          clearInterval(watchdog);
          void worker.terminate().then(startWorker);
        }
      });
      worker.on('error', (err) => {
        clearInterval(watchdog);
        reject(err);
      });
      worker.postMessage({ seed: opts.seed, from: next, to: opts.cases, slowMs: opts.slowMs } satisfies WorkerRequest);
    };
    startWorker();
  });
}

function printExample(seed: string, n: number, slowMs: number): void {
  const c = makeCase(seed, n);
  const o = judge(c);
  const small = o.verdict === 'crash' || o.verdict === 'unclear' || o.ms > slowMs ? minimize(c, o, slowMs) : c;
  console.log(`  case ${n} (from ${c.seed}; ${c.mutations.join('; ')})`);
  if (c.environment !== undefined) console.log(`  environment:\n${c.environment.replace(/^/gm, '    | ')}`);
  if (Object.keys(c.parameters).length) console.log(`  parameters: ${JSON.stringify(c.parameters)}`);
  console.log(`  minimized template:\n${small.template.replace(/^/gm, '    | ')}`);
}

async function main(): Promise<void> {
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
  console.log(`slowest case ${r.slowest.ms.toFixed(1)} ms (case ${r.slowest.n}, from ${r.slowest.seedName}); ${r.seconds.toFixed(1)} s in all`);
  for (const v of r.violations) {
    console.log(`\n${v.kind.toUpperCase()}: ${v.detail}`);
    if (!args.quiet && v.kind !== 'hang') printExample(seed, v.n, slowMs);
    else console.log(`  replay: node --import tsx chaos/fuzz-templates.ts --seed ${seed} --case ${v.n}`);
  }
  if (r.violations.length) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\/chaos\//, '/chaos/'))) await main();
