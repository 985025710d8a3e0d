/**
 * One group of the cost benchmark's class (bench/cost.bench.ts replayGroups): a runtime and store of its
 * own, replayed in this thread or in a worker thread of its own. In threads the groups' own computing
 * (the replay, the HTTP app, the services, the pg client) spreads over the cores instead of queueing on
 * one event loop; each thread loads its own copy of stacklab, so nothing is shared but the PostgreSQL
 * server.
 */
import { Worker } from 'node:worker_threads';
import type { Backend } from '../test/support/databases.ts';
import { testApp, testLab } from '../test/support/test-runtime.ts';
import type { ClassModel } from './class-model.ts';
import { replay, type Profile, type ReplayResult } from './cost-replay.ts';

export interface GroupJob {
  model: ClassModel;
  profile: Profile;
  backend: Backend;
  /** PostgreSQL connections of the group's store at most (default 10). */
  poolSize?: number;
}

/** A runtime and store of its own for one profile's replay of (part of) the class. */
export async function replayClass(job: GroupJob): Promise<ReplayResult> {
  const { model, profile, backend } = job;
  const t = await testApp(
    {
      idle_timeout: profile.idleTimeout,
      departure_grace: profile.departureGrace,
      output_activity: profile.outputActivity,
      keepalive_interval: profile.keepaliveInterval,
      suspender_interval: profile.suspenderInterval,
      habit_resume: profile.habitResume === true,
    },
    { backend, labs: [testLab({ timeouts: { ...testLab().timeouts, suspend: profile.suspendTimeout } })], ...(job.poolSize ? { poolSize: job.poolSize } : {}) },
  );
  try {
    await t.app.ready();
    return await replay(t.rt, t.app, model, profile);
  } finally {
    await t.close();
  }
}

/** replayClass in a worker thread (bench/cost-group-thread.ts, entered through its .mjs, which loads the sources through tsx as this process did). */
export function replayInThread(job: GroupJob): Promise<ReplayResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./cost-group-thread.mjs', import.meta.url), { workerData: job });
    let result: ReplayResult | undefined;
    worker.once('message', (message: ReplayResult) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`cost replay thread exited with ${code} and no result`))));
  });
}
