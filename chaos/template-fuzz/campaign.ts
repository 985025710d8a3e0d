/**
 * The campaign loop: cases run in a worker thread (worker.ts) watched for hangs; outcomes are
 * counted and each distinct violation kept once with the case that showed it.
 */
import { Worker } from 'node:worker_threads';
import type { Outcome } from './judge.ts';
import type { WorkerMessage, WorkerRequest } from './worker.ts';

export interface CampaignReport {
  seed: string;
  cases: number;
  accepted: number;
  refused: { validate: number; lxc: number };
  crashes: number;
  unclear: number;
  hangs: number;
  slow: number;
  /** Wall-clock: includes waiting for a core when the machine is shared. */
  slowest: { ms: number; n: number; seedName: string };
  /** CPU time: what slowness is judged on. */
  slowestCpu: { ms: number; n: number; seedName: string };
  /** One example per distinct violation. */
  violations: { kind: string; n: number; signature: string; detail: string }[];
  seconds: number;
}

export function runCampaign(opts: { seed: string; cases: number; slowMs: number; hangMs: number }): Promise<CampaignReport> {
  const started = Date.now();
  const report: CampaignReport = {
    seed: opts.seed, cases: 0, accepted: 0, refused: { validate: 0, lxc: 0 }, crashes: 0, unclear: 0, hangs: 0, slow: 0,
    slowest: { ms: 0, n: -1, seedName: '' }, slowestCpu: { ms: 0, n: -1, seedName: '' }, violations: [], seconds: 0,
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
    if (o.cpuMs > report.slowestCpu.ms) report.slowestCpu = { ms: o.cpuMs, n, seedName };
    if (o.cpuMs > opts.slowMs) {
      report.slow++;
      violation('slow', n, `slow/${seedName}`, `${o.cpuMs.toFixed(0)} ms of CPU, ${o.ms.toFixed(0)} ms wall (${o.verdict})`);
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
      const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url));
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

