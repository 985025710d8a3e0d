/**
 * Runs cases in a worker thread so the main thread can stop one that hangs (an endless loop
 * cannot be timed out from inside). Says when each case starts and how it ended.
 */
import { parentPort } from 'node:worker_threads';
import { makeCase } from './cases.ts';
import { judge, type Outcome } from './judge.ts';

export type WorkerRequest = { seed: string; from: number; to: number; slowMs: number };
export type WorkerMessage = { type: 'start'; n: number } | { type: 'done'; n: number; outcome: Outcome; seedName: string };

parentPort!.on('message', (req: WorkerRequest) => {
  for (let n = req.from; n < req.to; n++) {
    parentPort!.postMessage({ type: 'start', n } satisfies WorkerMessage);
    const c = makeCase(req.seed, n);
    let outcome = judge(c);
    // A slow case is measured twice more and its best time kept: a pause of the shared machine
    // (GC, another process) is not the template's doing.
    for (let again = 0; again < 2 && outcome.cpuMs > req.slowMs; again++) {
      // Each attempt gets the full hang allowance.
      parentPort!.postMessage({ type: 'start', n } satisfies WorkerMessage);
      const retry = judge(c);
      if (retry.cpuMs < outcome.cpuMs) outcome = retry;
    }
    parentPort!.postMessage({ type: 'done', n, outcome, seedName: c.seed } satisfies WorkerMessage);
  }
});
