/**
 * Campaign: provider faults. stacklab on the real Keystone + Heat through fault-injecting proxies
 * (5xx, no answer, slow answers, connections dropped mid-answer) at set rates; see
 * provider-faults-campaign.ts for what it does and checks. Prints a report; exits 1 on a violation,
 * 2 when it cannot run, 3 when it had to be cut short.
 *
 *   npm run chaos -- provider-faults [--launches 20] [--outage-launches 3] [--concurrency 4]
 *     [--rates error=0.1,timeout=0.05,slow=0.1,drop=0.05] [--second-rates error=0.02,drop=0.02]
 *     [--request-timeout 8] [--launch-timeout 300] [--minutes 20] [--lab single-server]
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS, formatRates, parseRates } from './fault-proxy.ts';
import { runProviderFaults, type ProviderFaultsOptions, type ProviderFaultsReport } from './provider-faults-campaign.ts';

const USAGE = `usage: npm run chaos -- provider-faults [--launches N] [--outage-launches N] [--concurrency N]
  [--rates error=R,timeout=R,slow=R,drop=R] [--second-rates ...] [--request-timeout S] [--launch-timeout S] [--minutes M]
  [--lab single-server]   a sample lab of labs/ (needs Nova, Neutron, Glance) instead of a Heat-only template`;

let options: ProviderFaultsOptions;
try {
  const { values: flags } = parseArgs({
    options: {
      launches: { type: 'string', default: '20' },
      'outage-launches': { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '4' },
      rates: { type: 'string', default: 'error=0.1,timeout=0.05,slow=0.1,drop=0.05' },
      'second-rates': { type: 'string', default: 'error=0.02,drop=0.02' },
      'request-timeout': { type: 'string', default: '8' },
      'launch-timeout': { type: 'string', default: '300' },
      minutes: { type: 'string', default: '20' },
      lab: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (flags.help) {
    console.log(USAGE);
    process.exit(0);
  }
  options = {
    launches: Number(flags.launches),
    outageLaunches: Number(flags['outage-launches']),
    concurrency: Number(flags.concurrency),
    rates: parseRates(flags.rates),
    secondRates: parseRates(flags['second-rates']),
    requestTimeoutSeconds: Number(flags['request-timeout']),
    launchTimeoutSeconds: Number(flags['launch-timeout']),
    minutes: Number(flags.minutes),
    lab: flags.lab,
    log: (line) => console.log(`  ${line}`),
  };
  const numbers = [options.launches, options.outageLaunches, options.concurrency, options.requestTimeoutSeconds, options.launchTimeoutSeconds, options.minutes];
  if (numbers.some((n) => !Number.isFinite(n) || n < 0) || options.concurrency < 1 || options.launchTimeoutSeconds < 60) throw new Error('counts and times must be numbers; --concurrency at least 1, --launch-timeout at least 60');
} catch (error) {
  console.error(`provider-faults: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

// Bounded whatever happens: past its time and ten minutes of grace, the run is cut short.
setTimeout(() => {
  console.error(`provider-faults: still running ${options.minutes + 10} minutes after the start; giving up`);
  process.exit(3);
}, (options.minutes + 10) * 60_000).unref();

function print(r: ProviderFaultsReport): void {
  console.log(`provider-faults: ${r.seconds} s, deployment ${r.deployment}`);
  console.log(`  rates: first ${formatRates(options.rates)}; second ${formatRates(options.secondRates)}; request timeout ${options.requestTimeoutSeconds} s`);
  for (const [name, c] of Object.entries(r.clouds)) {
    const faults = FAULT_KINDS.filter((k) => c.faults[k]).map((k) => `${k} ${c.faults[k]}`).join(', ') || 'none';
    console.log(`  ${name}: ${c.requests} requests, ${c.passed} passed untouched; faults injected: ${faults}`);
  }
  const on = Object.entries(r.readyOn).map(([p, n]) => `${n} on ${p}`).join(', ');
  console.log(`  launches ${r.launches}: ${r.ready} READY (${on || 'none'}), ${r.launchFailed} LAUNCH_FAILED; ${r.failovers} failovers; ${r.takeovers} operations taken over after a lease ran out`);
  console.log(`  suspends ${r.suspends}, resumes ${r.resumes}, deletes ${r.deletes} (${r.deleteRetries} asked again after a failed delete)`);
  console.log(`  Heat sampled ${r.samples} times; most live stacks for one learner's lab: ${r.mostStacksForOneLab}; ${r.audited} READY/SUSPENDED labs found on Heat as the store says`);
  const kinds = new Map<string, number>();
  for (const f of r.failures) kinds.set(f, (kinds.get(f) ?? 0) + 1);
  for (const [f, n] of kinds) console.log(`  learner saw (${n}x): ${f.slice(0, 300)}`);
  for (const v of r.violations) console.log(`  VIOLATION: ${v}`);
  console.log(r.violations.length ? `provider-faults: ${r.violations.length} violation(s)` : 'provider-faults: no violations');
}

try {
  const report = await runProviderFaults(options);
  print(report);
  process.exit(report.violations.length ? 1 : 0);
} catch (error) {
  console.error(`provider-faults: could not run: ${(error as Error).stack ?? String(error)}`);
  process.exit(2);
}
