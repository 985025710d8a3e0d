/**
 * The flakes campaign: the whole test suite several times in a row while a CPU hog holds one of the
 * machine's cores, as an ordinary busy machine would. A test that passes alone but fails here waits on
 * time instead of events. Reports each run's counts and the failing tests' names; exits 1 on any failure.
 *
 *   node --import tsx chaos/flakes.ts [--runs 5] [--hog 1] [-- test/folder ...]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, hog: { type: 'string', default: '1' }, help: { type: 'boolean' } },
  allowPositionals: true,
});
if (values.help) {
  console.log('node --import tsx chaos/flakes.ts [--runs N] [--hog CORES] [-- test folders]');
  process.exit(0);
}
const runs = Number(values.runs);
const hogs = Number(values.hog);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(hogs) || hogs < 0) {
  console.error('--runs must be a positive integer and --hog a whole number of cores');
  process.exit(2);
}

// A busy loop in its own process per core; killed whatever happens to the runs.
const hogProcesses: ChildProcess[] = [];
for (let i = 0; i < hogs; i++) hogProcesses.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const stopHogs = () => hogProcesses.forEach((p) => p.kill('SIGKILL'));
process.on('exit', stopHogs);
process.on('SIGINT', () => process.exit(130));

interface RunReport {
  run: number;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
  failures: string[];
  exitCode: number | null;
}

function runSuite(run: number): Promise<RunReport> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...positionals], { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    const failures: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-20000);
      for (const line of chunk.toString().split('\n')) if (/^\s*✖ /.test(line)) failures.push(line.trim());
    });
    child.on('close', (exitCode) => {
      const count = (name: string) => Number(new RegExp(`ℹ ${name} (\\d+)`).exec(tail)?.[1] ?? 0);
      resolve({ run, passed: count('pass'), failed: count('fail'), skipped: count('skipped'), seconds: Math.round((Date.now() - started) / 1000), failures: [...new Set(failures)], exitCode });
    });
  });
}

const reports: RunReport[] = [];
for (let run = 1; run <= runs; run++) reports.push(await runSuite(run));
stopHogs();
console.log(`\nflakes campaign: ${runs} run(s) of the suite with ${hogs} core(s) held by a busy loop`);
for (const r of reports) {
  console.log(`run ${r.run}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped, ${r.seconds} s, exit ${r.exitCode}`);
  for (const f of r.failures) console.log(`    ${f}`);
}
const bad = reports.filter((r) => r.failed > 0 || r.exitCode !== 0);
console.log(bad.length === 0 ? 'no failures' : `${bad.length} run(s) failed`);
process.exit(bad.length === 0 ? 0 : 1);
