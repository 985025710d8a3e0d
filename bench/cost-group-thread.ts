/** A worker thread replaying one group of the cost benchmark's class (bench/cost-group.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { replayClass, type GroupJob } from './cost-group.ts';

parentPort!.postMessage(await replayClass(workerData as GroupJob));
