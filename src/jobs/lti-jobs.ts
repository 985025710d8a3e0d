/**
 * The LTI tool's background work as periodic jobs, so it runs wherever workers run (inside `stacklab
 * serve` by default, and in every `stacklab worker`), not in the HTTP server:
 *   lti-grades        sends the grades waiting in the outbox (poked when this process queued one)
 *   lti-housekeeping  drops expired login states and retired keys, rotates the tool key when due
 * Both are safe with several workers on one database: the outbox hands each (learner, context, lab) to
 * one sender at a time, and key rotation takes a lock (see grade-outbox.ts and tool-keys.ts).
 */
import type { Logger } from 'pino';
import type { LtiModule } from '../lti/lti-module.ts';
import type { PeriodicJob } from './periodic.ts';

export const GRADE_JOB = 'lti-grades';
export const LTI_HOUSEKEEPING_JOB = 'lti-housekeeping';

const HOUSEKEEPING_EVERY_MS = 10 * 60_000;

export function ltiJobs(lti: LtiModule, logger: Logger): PeriodicJob[] {
  return [
    {
      name: GRADE_JOB,
      everyMs: lti.outbox.settings.pollMs,
      runAtStart: true,
      async run() {
        const stats = await lti.outbox.drain();
        if (stats.sent || stats.retried || stats.failed || stats.skipped || stats.lost) logger.info(stats, 'lti grades: outbox pass');
        return stats;
      },
    },
    {
      name: LTI_HOUSEKEEPING_JOB,
      everyMs: HOUSEKEEPING_EVERY_MS,
      runAtStart: true,
      run: () => lti.housekeeping(),
    },
  ];
}
